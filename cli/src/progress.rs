//! A progress line on standard error for work that takes more than a second, shown only when
//! standard error is a terminal (silent when piped or redirected).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Shows a one-line status after the first second, rewriting it in place.
#[derive(Debug)]
pub struct Progress {
    started: Instant,
    enabled: bool,
    shown: bool,
    last: Option<Instant>,
}

impl Progress {
    /// Starts the clock; enabled only when standard error is a terminal.
    pub fn new() -> Progress {
        Progress {
            started: Instant::now(),
            enabled: std::io::stderr().is_terminal(),
            shown: false,
            last: None,
        }
    }

    /// Shows `message` once a second has passed since the start (at most 10 updates a second).
    pub fn show(&mut self, message: &str) {
        if !self.enabled || self.started.elapsed() < Duration::from_secs(1) {
            return;
        }
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{message} ({:.0} s)",
            self.started.elapsed().as_secs_f64()
        );
        let _ = err.flush();
        self.shown = true;
    }

    /// Erases the line if one was shown.
    pub fn clear(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Runs `f`, showing `message` (with the elapsed seconds) on a terminal's standard error from
/// the first second on, until `f` returns.
pub fn during<T>(message: &str, f: impl FnOnce() -> T) -> T {
    use std::sync::mpsc::{RecvTimeoutError, channel};
    if !std::io::stderr().is_terminal() {
        return f();
    }
    let (done, wait) = channel::<()>();
    std::thread::scope(|s| {
        let shower = s.spawn(move || {
            let start = Instant::now();
            let mut timeout = Duration::from_secs(1);
            let mut shown = false;
            while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K{message} ({:.0} s)",
                    start.elapsed().as_secs_f64()
                );
                let _ = err.flush();
                shown = true;
                timeout = Duration::from_millis(500);
            }
            if shown {
                let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
            }
        });
        let out = f();
        drop(done);
        let _ = shower.join();
        out
    })
}
