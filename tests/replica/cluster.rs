//! A PostgreSQL primary and a streaming replica of it, made for one test:
//! `initdb` on a free port, then `pg_basebackup -R` of it started as a hot
//! standby on another. Both live in a temporary folder and are stopped and
//! removed on drop. The replica runs the standby settings that
//! `docs/operations.md` ("A read replica") asks for.
//!
//! PostgreSQL refuses to run as root: under root, every server command
//! runs as the `postgres` user (`runuser`), which owns the folder.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Bool};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::process::free_port;

/// The standby settings the replica runs with (docs/operations.md).
pub const STANDBY_SETTINGS: &[(&str, &str)] = &[
    // The primary keeps the row versions the standby's queries still see:
    // VACUUM there does not cancel a long export here.
    ("hot_standby_feedback", "on"),
    // Replay waits for a query that blocks it (a lock VACUUM takes to
    // shorten a table, say) instead of cancelling it; meanwhile the
    // replica lags and admin reads go to the primary.
    ("max_standby_streaming_delay", "'10min'"),
];

pub struct Pair {
    root: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    pub primary_port: u16,
    pub replica_port: u16,
    replica_running: bool,
}

/// Why no pair could be started here.
pub struct Missing(pub String);

impl Pair {
    /// Starts both servers; `Err` names what is missing where PostgreSQL's
    /// server programs are not installed (the caller skips).
    pub fn start() -> Result<Pair, Missing> {
        let bin = server_programs()?;
        let as_postgres = is_root();
        let root = std::env::temp_dir().join(format!(
            "signin-replica-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&root).expect("a temporary folder");
        let mut pair = Pair {
            root,
            bin,
            as_postgres,
            primary_port: free_port(),
            replica_port: free_port(),
            replica_running: false,
        };
        if as_postgres {
            pair.run("chown", &["postgres:", pair.root_str()], false);
        }
        let primary = pair.dir("primary");
        pair.pg(
            "initdb",
            &[
                "-D",
                &primary,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        pair.configure(
            "primary",
            pair.primary_port,
            &[("wal_level", "replica"), ("max_wal_senders", "4")],
        );
        pair.pg_ctl_start("primary");
        let replica = pair.dir("replica");
        let primary_port = pair.primary_port.to_string();
        pair.pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary_port,
                "-U",
                "postgres",
                "-D",
                &replica,
                "-X",
                "stream",
                "-R",
                "-c",
                "fast",
                "--no-sync",
            ],
        );
        pair.configure("replica", pair.replica_port, STANDBY_SETTINGS);
        pair.pg_ctl_start("replica");
        pair.replica_running = true;
        Ok(pair)
    }

    /// The primary's URL, without a database.
    pub fn primary_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.primary_port)
    }

    /// The replica's URL, without a database.
    pub fn replica_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.replica_port)
    }

    /// Stops the replica at once (`-m immediate`, as a crash would).
    pub fn stop_replica(&mut self) {
        let dir = self.dir("replica");
        self.pg("pg_ctl", &["-D", &dir, "-m", "immediate", "-w", "stop"]);
        self.replica_running = false;
    }

    /// Waits until the replica has replayed everything the primary had
    /// written when this was called (or panics after `within`).
    pub async fn wait_caught_up(&self, database: &str, within: Duration) {
        let target = position(
            &format!("{}/{database}", self.primary_url()),
            "SELECT true AS ok, (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS n",
        )
        .await;
        let started = Instant::now();
        loop {
            let replayed = position(
                &format!("{}/{database}", self.replica_url()),
                "SELECT pg_is_in_recovery() AS ok, \
                 (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS n",
            )
            .await;
            if replayed >= target {
                return;
            }
            assert!(
                started.elapsed() < within,
                "the replica replayed {replayed} of {target} in {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `database` (made on the primary) can be opened on the
    /// replica.
    pub async fn wait_for_database(&self, database: &str, within: Duration) {
        let started = Instant::now();
        let url = format!("{}/{database}", self.replica_url());
        while AsyncPgConnection::establish(&url).await.is_err() {
            assert!(
                started.elapsed() < within,
                "{database} did not reach the replica"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn root_str(&self) -> &str {
        self.root.to_str().expect("a UTF-8 temporary path")
    }

    fn dir(&self, name: &str) -> String {
        format!("{}/{name}", self.root_str())
    }

    /// Appends `settings` to the server's `postgresql.conf` (later lines
    /// win), with its port and the folder as its socket directory.
    fn configure(&self, name: &str, port: u16, settings: &[(&str, &str)]) {
        let mut lines = format!(
            "\n# signin-rewards replica test\nport = {port}\nlisten_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\nshared_buffers = 32MB\nfsync = off\n",
            self.root_str()
        );
        for (key, value) in settings {
            lines.push_str(&format!("{key} = {value}\n"));
        }
        let path = Path::new(&self.dir(name)).join("postgresql.conf");
        let mut text = std::fs::read_to_string(&path).expect("postgresql.conf");
        text.push_str(&lines);
        std::fs::write(&path, text).expect("postgresql.conf written");
    }

    fn pg_ctl_start(&self, name: &str) {
        let (dir, log) = (self.dir(name), format!("{}/{name}.log", self.root_str()));
        self.pg(
            "pg_ctl",
            &["-D", &dir, "-l", &log, "-w", "-t", "60", "start"],
        );
    }

    /// Runs one of PostgreSQL's server programs.
    fn pg(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        self.run(path.to_str().expect("a UTF-8 path"), args, self.as_postgres);
    }

    fn run(&self, program: &str, args: &[&str], as_postgres: bool) {
        let output = if as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--", program])
                .args(args)
                .current_dir(&self.root)
                .output()
        } else {
            Command::new(program).args(args).output()
        }
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}\n(logs in {})",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.root_str()
        );
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for name in ["replica", "primary"] {
            if name == "replica" && !self.replica_running {
                continue;
            }
            let dir = self.dir(name);
            let path = self.bin.join("pg_ctl");
            let mut command = if self.as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&path);
                c
            } else {
                Command::new(&path)
            };
            let _ = command
                .args(["-D", &dir, "-m", "immediate", "-w", "stop"])
                .output();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Bool)]
    ok: bool,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn position(url: &str, sql: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(url).await.expect("connects");
    let row: Position = diesel::sql_query(sql)
        .get_result(&mut conn)
        .await
        .expect("a WAL position");
    assert!(row.ok, "{url}: {sql}");
    row.n
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The folder of `initdb`, `pg_ctl` and `pg_basebackup`: Debian's newest
/// `/usr/lib/postgresql/N/bin`, else the folder of `pg_ctl` on the PATH.
fn server_programs() -> Result<PathBuf, Missing> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "pg_basebackup"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_all(dir))
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.pop() {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .find(|dir| has_all(dir))
        .ok_or_else(|| {
            Missing(
                "PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed \
                 (.ci/services.sh installs them on Debian/Ubuntu)"
                    .into(),
            )
        })
}
