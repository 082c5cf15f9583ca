//! ndarray input: borrowing without a copy, strided and column-major views, policies.
use canary_analysis::Error;
use canary_analysis::metrics::ndarray::{clean_view, pair_from_views, series_from_view};
use canary_analysis::metrics::{CleanOptions, NanPolicy, Timestamps};
use ndarray::{Array2, ShapeBuilder, array, s};

#[test]
fn contiguous_clean_views_are_borrowed() {
    let m = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let c = clean_view("m", m.view(), NanPolicy::Fail).unwrap();
    assert!(c.is_borrowed());
    assert_eq!(
        c.values.as_ptr(),
        m.as_ptr(),
        "must point into the array, not a copy"
    );
    assert_eq!(&*c.values, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let row = m.row(1);
    let c = clean_view("m", row, NanPolicy::Remove).unwrap();
    assert!(c.is_borrowed());
    assert_eq!(c.to_sample().values(), &[4.0, 5.0, 6.0]);
}

#[test]
fn strided_and_column_major_views_are_copied_in_logical_order() {
    let m = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let col = m.column(1);
    let c = clean_view("m", col, NanPolicy::Fail).unwrap();
    assert!(!c.is_borrowed());
    assert_eq!(&*c.values, &[2.0, 5.0]);
    let f = Array2::from_shape_vec((2, 3).f(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]).unwrap();
    let c = clean_view("m", f.view(), NanPolicy::Fail).unwrap();
    assert_eq!(&*c.values, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let every_other = m.slice(s![.., ..;2]);
    assert_eq!(
        &*clean_view("m", every_other, NanPolicy::Fail)
            .unwrap()
            .values,
        &[1.0, 3.0, 4.0, 6.0]
    );
}

#[test]
fn policies_and_bad_input() {
    let m = array![[f64::NAN, 2.0], [f64::INFINITY, 4.0]];
    let c = clean_view("m", m.view(), NanPolicy::Remove).unwrap();
    assert_eq!((&*c.values, c.removed, c.infinite), (&[2.0, 4.0][..], 2, 1));
    let c = clean_view("m", m.view(), NanPolicy::Replace(0.0)).unwrap();
    assert_eq!(&*c.values, &[0.0, 2.0, 0.0, 4.0]);
    assert!(matches!(
        clean_view("m", m.view(), NanPolicy::Fail),
        Err(Error::InvalidSample { .. })
    ));
    let empty = Array2::<f64>::zeros((0, 3));
    assert!(matches!(
        clean_view("m", empty.view(), NanPolicy::Remove),
        Err(Error::InvalidSample { .. })
    ));
    let all_nan = array![f64::NAN, f64::NAN];
    let e = clean_view("m", all_nan.view(), NanPolicy::Remove).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidSample { reason, .. } if reason.contains("empty after policy"))
    );
    let ok = array![1.0];
    assert!(matches!(
        clean_view("m", ok.view(), NanPolicy::Replace(f64::INFINITY)),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn series_and_pairs_from_matrices() {
    let b = array![[1.0, f64::NAN, 3.0], [4.0, 5.0, 6.0]];
    let c = array![[7.0, 8.0, 9.0]];
    let ts = Timestamps::Regular {
        start_millis: 0,
        step_millis: 60_000,
    };
    let ids = vec!["a".to_owned(), "b".to_owned()];
    let s = series_from_view(b.view(), ts.clone(), Some(&ids)).unwrap();
    assert_eq!(s.gaps()[0].instance, "a");
    assert_eq!(s.gaps()[0].start_millis, Some(60_000));
    assert!(series_from_view(b.view(), ts.clone(), Some(&ids[..1])).is_err());
    assert!(series_from_view(b.view(), Timestamps::Explicit(vec![1, 2]), None).is_err());
    let p = pair_from_views("rps", b.view(), c.view(), ts).unwrap();
    let cleaned = p
        .clean(&CleanOptions::new().policy(NanPolicy::Remove))
        .unwrap();
    assert_eq!(cleaned.baseline().expect("data").len(), 5);
    assert_eq!(cleaned.canary().expect("data").len(), 3);
}
