//! A progress line on stderr for commands that can take seconds (`history check` of a large
//! history, `report` re-checking cited histories): what is being done and for how long,
//! redrawn in place, and erased when the work ends. Only when stderr is a terminal, so pipes,
//! files and CI logs never see it.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Nothing is drawn for work that ends sooner than this.
const DELAY: Duration = Duration::from_millis(700);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(200);

/// A running progress line; dropping it erases the line.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Start a progress line saying `what` (e.g. "checking history.jsonl") on stderr, if
    /// stderr is a terminal; otherwise a no-op.
    pub fn start(what: impl Into<String>) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                stop: Arc::new(AtomicBool::new(true)),
                thread: None,
            };
        }
        Progress::with_writer(what.into(), DELAY, TICK, std::io::stderr)
    }

    /// Start drawing on the writer `make` returns, after `delay`, every `tick`.
    fn with_writer<W: Write>(
        what: String,
        delay: Duration,
        tick: Duration,
        make: impl FnOnce() -> W + Send + 'static,
    ) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut out = make();
            let mut drawn = false;
            while !flag.load(Ordering::Relaxed) {
                let elapsed = start.elapsed();
                if elapsed >= delay {
                    let _ = write!(out, "\r\x1b[2K{what}… {:.1} s", elapsed.as_secs_f64());
                    let _ = out.flush();
                    drawn = true;
                }
                std::thread::park_timeout(tick);
            }
            if drawn {
                let _ = write!(out, "\r\x1b[2K");
                let _ = out.flush();
            }
        });
        Progress {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn long_work_draws_a_line_and_erases_it() {
        let buf = Shared::default();
        let w = buf.clone();
        let p = Progress::with_writer(
            "checking h.jsonl".into(),
            Duration::ZERO,
            Duration::from_millis(10),
            move || w,
        );
        std::thread::sleep(Duration::from_millis(60));
        drop(p);
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("checking h.jsonl… 0."), "{text:?}");
        assert!(text.ends_with("\r\x1b[2K"), "erased at the end: {text:?}");
    }

    #[test]
    fn short_work_draws_nothing() {
        let buf = Shared::default();
        let w = buf.clone();
        let p = Progress::with_writer(
            "x".into(),
            Duration::from_secs(60),
            Duration::from_millis(10),
            move || w,
        );
        drop(p);
        assert!(buf.0.lock().unwrap().is_empty());
    }
}
