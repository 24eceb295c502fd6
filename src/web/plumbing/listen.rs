//! The accept loop: HTTP/1 connections served by hyper with a header-read timeout, under a
//! cap on open connections derived from the process's descriptor limit, with the graceful
//! stop the server promises (see [`serve`]).
//!
//! `axum::serve` sets no header-read timeout and no cap: a connection that sends nothing, or
//! half its headers, stays open forever, and a few hundred of them use up the descriptors
//! (issue 17, break 5). Here:
//! - every connection must finish a request's headers within [`HEADER_READ_TIMEOUT`] of
//!   being accepted, and again of its previous response (hyper starts the timer whenever it
//!   waits for a request head), so an idle kept-alive connection is closed after it too;
//! - at most [`connection_cap`] connections are open; at the cap, the connection that has
//!   waited longest for a request head (none in flight) is closed to let the new one in, so
//!   idle sockets cannot shut out `/healthz` or a clinician (ASVS 5.0 V13.1.2: a connection
//!   limit and a documented behaviour at it, docs/DEPLOYMENT.md; V15.2.2: defences against
//!   loss of availability);
//! - accept errors (EMFILE when descriptors run out anyway) close an idle connection and back
//!   off briefly instead of spinning.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long a connection may take to send a request's headers, counted from its accept and
/// from the end of its previous response (so also how long an idle kept-alive connection
/// stays open). A browser sends its headers at once; only a stalled or hostile client needs
/// longer.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Descriptors kept back from connections: the database's (16 PostgreSQL connections, or 7
/// SQLite ones with their log files), the listener, the standard streams, the runtime's own.
const RESERVED_DESCRIPTORS: u64 = 64;

/// How long the loop waits after an accept error other than a connection's own.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The most connections open at once: the descriptor limit (`ulimit -n`) less a quarter of
/// it, and at least `RESERVED_DESCRIPTORS` (64), for everything else the process opens.
pub fn connection_cap() -> usize {
    let limit = descriptor_limit();
    let cap = limit
        .saturating_sub(RESERVED_DESCRIPTORS.max(limit / 4))
        .max(8);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// The process's soft limit on open descriptors.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn descriptor_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur
    } else {
        1024
    }
}

/// The process's soft limit on open descriptors (the common default where it is not read).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn descriptor_limit() -> u64 {
    1024
}

/// One open connection, as the accept loop sees it.
#[derive(Default)]
struct Tracked {
    /// Requests whose response is not yet fully sent.
    in_flight: AtomicUsize,
    /// Told to close the connection at once (it is the idlest at the cap).
    evict: Notify,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Connections {
    open: Mutex<BTreeMap<u64, Arc<Tracked>>>,
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Tracked>>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Closes the oldest connection with no request in flight; false when every one is busy.
    fn evict_idlest(&self) -> bool {
        let mut open = self.lock();
        let idlest = open
            .iter()
            .find(|(_, tracked)| tracked.in_flight.load(Ordering::Acquire) == 0)
            .map(|(&id, _)| id);
        match idlest.and_then(|id| open.remove(&id)) {
            Some(tracked) => {
                tracked.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Counts a request in flight on its connection until its response body is dropped.
struct Busy(Arc<Tracked>);

impl Busy {
    fn new(tracked: &Arc<Tracked>) -> Busy {
        tracked.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(tracked.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in flight until it is sent.
struct BusyBody {
    inner: Body,
    _busy: Busy,
}

impl HttpBody for BusyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting (the
/// listener is closed), lets every connection finish the request it is serving, and closes
/// the connections still open `grace` later.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(connection_cap()));
    let connections = Arc::new(Connections::default());
    let (stopping, stop) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut next_id: u64 = 0;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = admit(&permits, &connections) => permit,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_connection_error(&error) {
                        tracing::error!(%error, "cannot accept a connection");
                        connections.evict_idlest();
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
        };
        next_id += 1;
        let tracked = Arc::new(Tracked::default());
        connections.lock().insert(next_id, tracked.clone());
        tasks.spawn(serve_connection(
            stream,
            peer,
            router.clone(),
            tracked,
            stop.clone(),
            permit,
            (connections.clone(), next_id),
        ));
    }
    drop(listener);
    let _ = stopping.send(true);
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs_f64(),
            "connections still open after the grace period; closing them"
        );
        tasks.shutdown().await;
    }
    Ok(())
}

/// A permit for one more connection; at the cap, closes the idlest connection for it (or
/// waits for one to close when every connection is busy).
async fn admit(permits: &Arc<Semaphore>, connections: &Connections) -> OwnedSemaphorePermit {
    if let Ok(permit) = permits.clone().try_acquire_owned() {
        return permit;
    }
    connections.evict_idlest();
    permits
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed")
}

/// Errors of one incoming connection (it went away before it was accepted): nothing to wait for.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it closes, is evicted, or the server stops.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    tracked: Arc<Tracked>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
    (connections, id): (Arc<Connections>, u64),
) {
    let counted = tracked.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = Busy::new(&counted);
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = router.clone().oneshot(request);
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|inner| BusyBody { inner, _busy: busy }))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let mut stopping = *stop.borrow();
    if stopping {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            // A connection's own errors (a reset, a header timeout) concern nobody else.
            _ = connection.as_mut() => break,
            () = tracked.evict.notified() => break,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
    connections.lock().remove(&id);
}
