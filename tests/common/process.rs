//! Real processes for fault tests: the service binary, a private Redis.

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_signin-rewards");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process, killed when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
}

impl Proc {
    pub fn spawn(name: &str, program: &str, args: &[&str], env: &[(&str, String)]) -> Proc {
        let log_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("build/test-logs");
        std::fs::create_dir_all(&log_dir).unwrap();
        let log = std::fs::File::create(log_dir.join(format!("{name}.log"))).unwrap();
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true);
        Proc {
            name: name.to_owned(),
            child: command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {program}: {e}")),
        }
    }

    /// The last lines the process logged (for failure messages).
    pub fn log_tail(&self) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("build/test-logs/{}.log", self.name));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("process still running")
    }

    /// SIGKILL: no cleanup, no draining.
    pub async fn kill9(&mut self) {
        self.child.start_kill().unwrap();
        let _ = self.child.wait().await;
    }

    pub fn sigterm(&self) {
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not exit within {timeout:?}", self.name))
            .unwrap()
    }

    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

/// A Redis server of our own, on its own port, so a test can stop it.
pub struct PrivateRedis {
    pub port: u16,
    proc: Option<Proc>,
}

impl PrivateRedis {
    pub async fn start() -> Self {
        let mut redis = PrivateRedis {
            port: free_port(),
            proc: None,
        };
        redis.resume().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill9().await;
        }
    }

    /// (Re)starts it on the same port, empty.
    pub async fn resume(&mut self) {
        let args = redis_server_args(self.port, None);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let proc = Proc::spawn(&format!("redis-{}", self.port), "redis-server", &args, &[]);
        self.proc = Some(proc);
        wait_for_port(self.port, Duration::from_secs(10)).await;
    }
}

/// `redis-server`'s arguments for a test server on `port` that keeps
/// nothing on disk (a replica of `replica_of`, "host port", if given).
pub fn redis_server_args(port: u16, replica_of: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    if let Some(master) = replica_of {
        args.extend(["--replicaof".to_owned(), master.to_owned()]);
    }
    args
}

pub async fn wait_for_port(port: u16, timeout: Duration) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < timeout,
            "nothing listens on port {port} after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
