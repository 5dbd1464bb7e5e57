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

use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisResult};
use tokio::sync::Mutex;

use crate::config::RedisSentinel;

/// The Redis this process talks to.
#[derive(Debug)]
pub struct RedisTarget {
    source: Source,
}

enum Source {
    Url(Client),
    /// Held under a lock: redis-rs's client caches its sentinel connections
    /// and asks with `&mut self`. Only (re)connections wait on it.
    Sentinel {
        client: Mutex<SentinelClient>,
        master: String,
    },
}

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
        let client = SentinelClient::build(
            nodes,
            sentinel.master.clone(),
            Some(node),
            SentinelServerType::Master,
        )?;
        Ok(RedisTarget {
            source: Source::Sentinel {
                client: Mutex::new(client),
                master: sentinel.master.clone(),
            },
        })
    }

    /// A client of the Redis to talk to now: `REDIS_URL`'s, or the master
    /// a sentinel names at this moment (an error when no sentinel answers
    /// or none knows a master that answers as one).
    pub async fn client(&self) -> RedisResult<Client> {
        match &self.source {
            Source::Url(client) => Ok(client.clone()),
            Source::Sentinel { client, .. } => client.lock().await.async_get_client().await,
        }
    }

    /// Whether the server may change while the process runs (Sentinel).
    pub fn follows_failover(&self) -> bool {
        matches!(self.source, Source::Sentinel { .. })
    }
}
