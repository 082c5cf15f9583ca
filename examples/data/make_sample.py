"""Writes the sample canary used by the judge example, the report screenshot and the docs.

Synthetic data (numpy seed 7): 60 one-minute steps per side. Regenerate with
`python3 examples/data/make_sample.py` from the repository root.
"""
import json
import numpy as np

rng = np.random.default_rng(7)
n = 60
def r(x):
    return [round(float(v), 4) for v in x]

base_lat = rng.lognormal(np.log(120), 0.15, n)
can_lat = rng.lognormal(np.log(120), 0.15, n)
can_lat[rng.choice(n, 7, replace=False)] *= 100  # 7 of 60 steps at 100x: a tail regression
pairs = [
    {"name": "latency_p50", "id": "p1", "tags": {"region": "us-east-1"},
     "values": {"control": r(base_lat), "experiment": r(can_lat)},
     "scopes": {"control": {"startTimeMillis": 1763884800000, "stepMillis": 60000},
                "experiment": {"startTimeMillis": 1763884800000, "stepMillis": 60000}}},
    {"name": "cpu", "values": {"control": r(rng.normal(40, 4, n)), "experiment": r(rng.normal(40.5, 4, n))}},
    {"name": "memory", "values": {"control": r(rng.normal(900, 30, n)), "experiment": r(rng.normal(905, 30, n))}},
    {"name": "errors", "values": {"control": [0] * n,
                                  "experiment": [int(v) for v in rng.binomial(1, 0.2, n)]}},
    {"name": "requests", "values": {"control": [int(v) for v in rng.poisson(500, n)],
                                    "experiment": [int(v) for v in rng.poisson(500, n)]}},
    {"name": "gc_pause", "values": {"control": r(rng.gamma(2.0, 5.0, n)),
                                    "experiment": ["NaN"] * n}},
]
config = {
    "name": "sample-service",
    "description": "Sample canary config (Kayenta format with our `kind` extension)",
    "configVersion": "1",
    "applications": ["sample"],
    "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
    "metrics": [
        {"name": "latency_p50", "query": {"type": "prometheus", "metricName": "http_latency_p50"},
         "groups": ["Latency"], "scopeName": "default",
         "analysisConfigurations": {"canary": {"direction": "increase", "critical": True}}},
        {"name": "cpu", "query": {"type": "prometheus"}, "groups": ["System"], "scopeName": "default",
         "analysisConfigurations": {"canary": {"direction": "increase"}}},
        {"name": "memory", "query": {"type": "prometheus"}, "groups": ["System"], "scopeName": "default",
         "analysisConfigurations": {"canary": {"direction": "increase"}}},
        {"name": "errors", "query": {"type": "prometheus"}, "groups": ["Errors"], "scopeName": "default",
         "analysisConfigurations": {"canary": {"direction": "increase", "kind": "count"}}},
        {"name": "requests", "query": {"type": "prometheus"}, "groups": ["Traffic"], "scopeName": "default",
         "analysisConfigurations": {"canary": {"direction": "decrease", "kind": "count"}}},
        {"name": "gc_pause", "query": {"type": "prometheus"}, "groups": ["GC"], "scopeName": "default",
         "analysisConfigurations": {"canary": {"direction": "increase"}}},
    ],
    "classifier": {"groupWeights": {"Latency": 40, "Errors": 30, "System": 10, "Traffic": 10, "GC": 10},
                   "scoreThresholds": {"pass": 95, "marginal": 75}},
}
json.dump(config, open("examples/data/canary-config.json", "w"), indent=1)
json.dump(pairs, open("examples/data/pairs.json", "w"))
