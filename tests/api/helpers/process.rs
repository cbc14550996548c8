//! The service binary as a process: started with chosen variables, stopped with a signal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_cancel-lifecycle-execution");

/// The binary, started with `vars` only, and the address it printed; killed when dropped.
pub struct Running {
    pub child: Child,
    pub address: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary in local mode with `vars` only; its log is thrown away.
pub fn start_binary(vars: &[(&str, &str)]) -> Running {
    start_program(BINARY, vars)
}

/// Starts `program` (this binary or another build of it, such as a release bootstrap) in local
/// mode with `vars` only; its log is thrown away.
pub fn start_program(program: &str, vars: &[(&str, &str)]) -> Running {
    start(Command::new(program), vars, Stdio::null())
}

/// Starts the binary in local mode with `vars` only; its log is written to `log`.
pub fn start_binary_logging(vars: &[(&str, &str)], log: &Path) -> Running {
    let log = std::fs::File::create(log).expect("a log file");
    start(Command::new(BINARY), vars, Stdio::from(log))
}

/// Starts the binary with at most `open_files` file descriptors, its log written to `log`.
pub fn start_binary_with_fd_limit(vars: &[(&str, &str)], open_files: u32, log: &Path) -> Running {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!("ulimit -n {open_files} && exec \"$0\""),
        BINARY,
    ]);
    let log = std::fs::File::create(log).expect("a log file");
    start(command, vars, Stdio::from(log))
}

fn start(mut command: Command, vars: &[(&str, &str)], stderr: Stdio) -> Running {
    let mut child = command
        .env_clear()
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("the binary prints its address");
    let address = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first_line:?}"))
        .to_owned();
    Running { child, address }
}

impl Running {
    /// The process's peak resident memory (`VmHWM` in `/proc/<pid>/status`), as Linux prints it.
    pub fn peak_memory(&self) -> String {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned())
    }

    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid}");
    }

    /// The exit status, if the process exits within `within`.
    pub fn exit_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}
