//! Serving connections: the accept loop with its connection cap, the deadlines every
//! connection lives under (request head, idle keep-alive, request body, a client that
//! stops reading), and a shutdown that lets requests in flight finish for a bounded time.
//! `axum::serve` has none of these knobs, so connections are served by hyper directly.
//!
//! hyper's own `header_read_timeout` is not used: it also runs while a kept-alive
//! connection waits for its next request, so idle connections would be cut at the header
//! bound. Here the wait for a request's first byte (idle timeout) and the time from that
//! byte to the end of the head (header timeout) are separate deadlines, enforced by the
//! connection's I/O wrapper whenever hyper waits to read.

use crate::config::ServerConfig;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// The deadlines and bounds of [`serve`], from the server's configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_read_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

impl Limits {
    pub fn of(config: &ServerConfig) -> Self {
        Self {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            body_read_timeout: config.body_read_timeout,
            max_connections: config.max_connections.max(1),
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// The error a request body gives when it has not arrived by its deadline. Extractors
/// find it in their rejection's source chain (see [`is_body_timeout`]) and answer 408.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body read timeout")]
pub struct BodyReadTimeout;

/// Whether `e`, or an error it was caused by, is a [`BodyReadTimeout`].
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<BodyReadTimeout>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// What [`serve`] serves: the application ([`crate::edge::Edge`]) or a bare router.
pub trait App:
    tower::Service<
        Request<axum::body::Body>,
        Response = axum::response::Response,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S> App for S where
    S: tower::Service<
            Request<axum::body::Body>,
            Response = axum::response::Response,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets
/// requests in flight finish for at most `limits.shutdown_grace`, and closes whatever is
/// left. Returns when every connection is closed.
pub async fn serve(
    listener: TcpListener,
    app: impl App,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let registry = Arc::new(Registry::default());
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut tasks = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut warned_full = false;
    'accept: loop {
        let (stream, peer) = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if !warned_full {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "the connection cap is reached: idle connections are closed to make room, \
                         and new connections wait while every connection is busy"
                    );
                    warned_full = true;
                }
                registry.flags.waiting.store(true, Ordering::SeqCst);
                registry.evict_longest_idle();
                let permit = tokio::select! {
                    biased;
                    _ = &mut shutdown => break 'accept,
                    p = permits.clone().acquire_owned() => p,
                };
                registry.flags.waiting.store(false, Ordering::SeqCst);
                match permit {
                    Ok(p) => p,
                    Err(_) => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let activity = registry.register();
        let registry = registry.clone();
        let app = app.clone();
        tasks.spawn(async move {
            serve_connection(stream, peer, app, activity.clone(), limits).await;
            registry.remove(activity.id);
            drop(permit);
        });
    }
    drop(listener);

    registry.close_all();
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            connections = tasks.len(),
            grace = ?limits.shutdown_grace,
            "closing connections whose requests did not finish within the shutdown grace period"
        );
        tasks.shutdown().await;
    }
}

/// As hyper and axum do: an error about one connection is that connection's problem; any
/// other (EMFILE: out of file descriptors) is logged, and accepting pauses briefly so
/// that connections can close.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn serve_connection<A: App>(
    stream: TcpStream,
    peer: SocketAddr,
    app: A,
    activity: Arc<Activity>,
    limits: Limits,
) {
    let io = TokioIo::new(GuardedIo {
        inner: stream,
        activity: activity.clone(),
        limits,
        read_timer: None,
        write_stalled_since: None,
        write_timer: None,
    });
    let service = ConnService {
        app,
        peer,
        activity: activity.clone(),
        body_read_timeout: limits.body_read_timeout,
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = activity.wake.notified() => {
                // Polling the connection again makes hyper read, and so `GuardedIo`
                // arm the deadline that now applies (a response has just been sent) or
                // close an idle connection or one still sending its head.
                if !closing && activity.close_when_idle.load(Ordering::SeqCst) {
                    // A request in flight finishes, with `Connection: close`.
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// No time is recorded yet.
const NONE: u64 = u64::MAX;

/// What a connection is doing, shared by its I/O wrapper, its service and the registry.
struct Activity {
    id: u64,
    /// When the connection was accepted; the times below count from here, in nanoseconds.
    epoch: Instant,
    /// Requests whose response has not been sent in full (at most one on HTTP/1).
    busy: AtomicU32,
    /// When the last response ended (or the connection was accepted).
    idle_since: AtomicU64,
    /// When the first byte of the next request head arrived, or [`NONE`]. A new
    /// connection starts at 0: its client is expected to send a request at once.
    head_started: AtomicU64,
    /// Close once no request is in flight (eviction, shutdown, a body that timed out).
    close_when_idle: AtomicBool,
    /// Wakes the connection's task: to close, or to read after a response.
    wake: Notify,
    registry: Arc<RegistryFlags>,
}

impl Activity {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(NONE - 1)
    }

    fn at(&self, nanos: u64) -> Instant {
        self.epoch + Duration::from_nanos(nanos)
    }

    fn close_soon(&self) {
        self.close_when_idle.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// The moment a read that has nothing to give should fail, if any.
    fn read_deadline(&self, limits: &Limits) -> Option<Instant> {
        if self.busy.load(Ordering::SeqCst) > 0 {
            // A request is in flight: its body has its own deadline, and a handler may
            // take its time.
            return None;
        }
        if self.close_when_idle.load(Ordering::SeqCst) {
            return Some(self.epoch);
        }
        match self.head_started.load(Ordering::SeqCst) {
            NONE => Some(self.at(self.idle_since.load(Ordering::SeqCst)) + limits.idle_timeout),
            started => Some(self.at(started) + limits.header_read_timeout),
        }
    }

    fn begin_request(self: &Arc<Self>) -> RequestGuard {
        self.busy.fetch_add(1, Ordering::SeqCst);
        self.head_started.store(NONE, Ordering::SeqCst);
        RequestGuard(self.clone())
    }
}

/// Held from the moment a request's head has been read until its response has been sent.
struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let a = &self.0;
        a.idle_since.store(a.now(), Ordering::SeqCst);
        a.busy.fetch_sub(1, Ordering::SeqCst);
        // A new connection is waiting for a place: this one is idle now, so it yields.
        if a.registry.waiting.load(Ordering::SeqCst) {
            a.close_when_idle.store(true, Ordering::SeqCst);
        }
        // hyper does not read again by itself once a response is sent; the connection's
        // task is woken so that the idle deadline is armed.
        a.wake.notify_one();
    }
}

#[derive(Default)]
struct RegistryFlags {
    /// A new connection waits for a place under the cap.
    waiting: AtomicBool,
}

/// The connections being served, so that the longest idle one can make room for a new
/// one at the cap, and every one can be told to close at shutdown.
#[derive(Default)]
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
    flags: Arc<RegistryFlags>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn register(&self) -> Arc<Activity> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let a = Arc::new(Activity {
            id,
            epoch: Instant::now(),
            busy: AtomicU32::new(0),
            idle_since: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            close_when_idle: AtomicBool::new(false),
            wake: Notify::new(),
            registry: self.flags.clone(),
        });
        self.lock().insert(id, a.clone());
        a
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Closes the connection that has waited longest for a request, if one is idle.
    fn evict_longest_idle(&self) {
        let conns = self.lock();
        let oldest = conns
            .values()
            .filter(|a| {
                a.busy.load(Ordering::SeqCst) == 0 && !a.close_when_idle.load(Ordering::SeqCst)
            })
            .min_by_key(|a| a.at(a.idle_since.load(Ordering::SeqCst)));
        if let Some(a) = oldest {
            tracing::debug!("closing the longest idle connection to make room for a new one");
            a.close_soon();
        }
    }

    fn close_all(&self) {
        for a in self.lock().values() {
            a.close_soon();
        }
    }
}

/// The socket, failing a read that waits past the connection's deadline, and a write
/// that makes no progress for the idle timeout (a client that stopped reading).
struct GuardedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
    limits: Limits,
    read_timer: Option<Pin<Box<Sleep>>>,
    write_stalled_since: Option<Instant>,
    write_timer: Option<Pin<Box<Sleep>>>,
}

fn timed_out(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what)
}

/// Polls `timer` set to `deadline` (arming or moving it first); true once it has passed.
fn expired(timer: &mut Option<Pin<Box<Sleep>>>, deadline: Instant, cx: &mut Context<'_>) -> bool {
    if deadline <= Instant::now() {
        return true;
    }
    let t = match timer {
        Some(t) => {
            if t.deadline() != deadline {
                t.as_mut().reset(deadline);
            }
            t
        }
        None => timer.insert(Box::pin(tokio::time::sleep_until(deadline))),
    };
    t.as_mut().poll(cx).is_ready()
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let a = &this.activity;
                if buf.filled().len() > before
                    && a.busy.load(Ordering::SeqCst) == 0
                    && a.head_started.load(Ordering::SeqCst) == NONE
                {
                    a.head_started.store(a.now(), Ordering::SeqCst);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.activity.read_deadline(&this.limits) {
                Some(deadline) if expired(&mut this.read_timer, deadline, cx) => {
                    Poll::Ready(Err(timed_out("no complete request in time")))
                }
                _ => Poll::Pending,
            },
        }
    }
}

impl GuardedIo {
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match r {
            Poll::Pending => {
                let since = *self.write_stalled_since.get_or_insert_with(Instant::now);
                if expired(&mut self.write_timer, since + self.limits.idle_timeout, cx) {
                    return Poll::Ready(Err(timed_out("the client stopped reading")));
                }
                Poll::Pending
            }
            ready => {
                self.write_stalled_since = None;
                ready
            }
        }
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after_write(cx, r)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The application as hyper's service for one connection: adds the peer's address
/// (handlers read it through `ConnectInfo`), puts the body under its deadline, and marks
/// the connection busy until the response has been sent.
#[derive(Clone)]
struct ConnService<A> {
    app: A,
    peer: SocketAddr,
    activity: Arc<Activity>,
    body_read_timeout: Duration,
}

type ServiceFuture =
    Pin<Box<dyn Future<Output = Result<Response<TrackedBody>, Infallible>> + Send>>;

impl<A: App> hyper::service::Service<Request<Incoming>> for ConnService<A> {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn call(&self, mut req: Request<Incoming>) -> ServiceFuture {
        let guard = self.activity.begin_request();
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let deadline = Instant::now() + self.body_read_timeout;
        let activity = self.activity.clone();
        let req = req.map(|inner| {
            axum::body::Body::new(DeadlineBody {
                inner,
                deadline,
                timer: None,
                activity,
            })
        });
        let app = self.app.clone();
        Box::pin(async move {
            let res = app.oneshot(req).await.unwrap_or_else(|e| match e {});
            Ok(res.map(|inner| TrackedBody {
                inner,
                _guard: guard,
            }))
        })
    }
}

/// A request body that fails with [`BodyReadTimeout`] once its deadline has passed. The
/// timer is made only if the body is not already there when first asked for.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
    activity: Arc<Activity>,
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|r| r.map_err(Into::into))),
            Poll::Pending => {
                if expired(&mut this.timer, this.deadline, cx) {
                    // What is left of the body will not be read: the connection cannot
                    // carry another request.
                    this.activity.close_when_idle.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(Box::new(BodyReadTimeout))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that keeps its connection marked busy until it has been sent.
struct TrackedBody {
    inner: axum::body::Body,
    _guard: RequestGuard,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
