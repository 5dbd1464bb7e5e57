//! Where Redis is: the server of `REDIS_URL`, or, under Redis Sentinel, the
//! master the sentinels name now.
//!
//! Every part that opens a Redis connection (the pool, the event listener,
//! the job queues and their wake-ups) asks [`RedisTarget::client`] for it
//! each time it (re)connects. Under Sentinel that asks a sentinel for the
//! current master (`SENTINEL get-master-addr-by-name`, then `ROLE` on the
//! node it names, by redis-rs's `sentinel` module), so after a failover the
//! next connection goes to the promoted replica. Connections to the old
//! master fail (it is down, or answers writes with `READONLY` once it comes
//! back as a replica); each user drops a failed connection and reconnects
//! through here.

use std::time::Duration;

use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{
    Client, ConnectionAddr, ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisError, RedisResult,
};

use crate::config::RedisSentinel;

/// The Redis this process talks to.
#[derive(Debug)]
pub struct RedisTarget {
    source: Source,
}

enum Source {
    Url(Client),
    /// What a lookup needs. Each lookup builds its own redis-rs
    /// `SentinelClient` (it asks with `&mut self` and caches its sentinel
    /// connections): lookups run side by side, none waits behind a slow
    /// one, and no connection to a sentinel is held between them.
    Sentinel {
        nodes: Vec<ConnectionInfo>,
        node: SentinelNodeConnectionInfo,
        master: String,
    },
}

/// How long one lookup of the master (sentinels, then the master's `ROLE`)
/// may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Url(client) => write!(f, "Url({:?})", client.get_connection_info().addr()),
            Source::Sentinel { master, .. } => write!(f, "Sentinel({master})"),
        }
    }
}

impl RedisTarget {
    /// `redis_url` alone, or the master of `sentinel`; under Sentinel,
    /// `redis_url`'s database number and credentials apply to the master
    /// (its host and port are not used). Errors: a URL redis-rs refuses.
    pub fn new(redis_url: &str, sentinel: Option<&RedisSentinel>) -> RedisResult<Self> {
        let Some(sentinel) = sentinel else {
            return Ok(RedisTarget {
                source: Source::Url(Client::open(redis_url)?),
            });
        };
        let settings = redis_url.into_connection_info()?;
        let nodes: Vec<ConnectionInfo> = sentinel
            .nodes
            .iter()
            .map(|(host, port)| ConnectionAddr::Tcp(host.clone(), *port).into_connection_info())
            .collect::<RedisResult<_>>()?;
        let node = SentinelNodeConnectionInfo::default()
            .set_redis_connection_info(settings.redis_settings().clone());
        // Checked once here, so a lookup can only fail on the network.
        SentinelClient::build(
            nodes.clone(),
            sentinel.master.clone(),
            Some(node.clone()),
            SentinelServerType::Master,
        )?;
        Ok(RedisTarget {
            source: Source::Sentinel {
                nodes,
                node,
                master: sentinel.master.clone(),
            },
        })
    }

    /// A client of the Redis to talk to now: `REDIS_URL`'s, or the master
    /// a sentinel names at this moment (an error when no sentinel answers
    /// or none knows a master that answers as one).
    pub async fn client(&self) -> RedisResult<Client> {
        let (nodes, node, master) = match &self.source {
            Source::Url(client) => return Ok(client.clone()),
            Source::Sentinel {
                nodes,
                node,
                master,
            } => (nodes, node, master),
        };
        let lookup = async {
            SentinelClient::build(
                nodes.clone(),
                master.clone(),
                Some(node.clone()),
                SentinelServerType::Master,
            )?
            .async_get_client()
            .await
        };
        tokio::time::timeout(LOOKUP_TIMEOUT, lookup)
            .await
            .unwrap_or_else(|_| {
                Err(RedisError::from((
                    ErrorKind::Io,
                    "no sentinel named a master in time",
                )))
            })
    }

    /// Whether the server may change while the process runs (Sentinel).
    pub fn follows_failover(&self) -> bool {
        matches!(self.source, Source::Sentinel { .. })
    }
}
