//! Log lines captured as JSON, per test thread, from one global subscriber.

use std::sync::{Arc, Mutex};

use cancel_lifecycle_execution::telemetry::json_subscriber;
use serde_json::Value;

/// A buffer that the JSON logs and the EMF documents are written to.
#[derive(Clone, Default)]
pub struct Buffer(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    pub fn json_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

thread_local! {
    /// Where this thread's log lines go while a test observes them.
    static CAPTURE: std::cell::RefCell<Option<Buffer>> = const { std::cell::RefCell::new(None) };
}

/// Writes to the calling thread's capture buffer, if any.
#[derive(Clone, Copy)]
struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some(buffer) = capture.borrow_mut().as_mut() {
                buffer.write_all(bytes)?;
            }
            Ok(bytes.len())
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One global JSON subscriber for the whole test binary. A per-test `set_default` would race
/// with the other tests of this binary over tracing's global callsite cache; a global one
/// that writes to the observing thread's buffer does not.
pub fn capture_on_this_thread(buffer: &Buffer) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let subscriber =
            json_subscriber(tracing_subscriber::EnvFilter::new("info"), || ThreadCapture);
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test binary");
    });
    CAPTURE.with(|capture| *capture.borrow_mut() = Some(buffer.clone()));
}

/// Ends this thread's capture.
pub fn stop_capture() {
    CAPTURE.with(|capture| *capture.borrow_mut() = None);
}

/// The one summary line among `buffer`'s lines.
pub fn summary_line(buffer: &Buffer) -> Value {
    let summaries: Vec<Value> = buffer
        .json_lines()
        .into_iter()
        .filter(|line| line["message"] == "request")
        .collect();
    assert_eq!(
        summaries.len(),
        1,
        "exactly one summary line: {}",
        buffer.text()
    );
    summaries[0].clone()
}
