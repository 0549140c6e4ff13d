//! Keep-alive HTTP/1.1 connections to the plain-HTTP origins of deployed integrations.
//!
//! hyper-util's pooled client finds a connection per request by hashing the request's scheme
//! and authority, clones itself, and races a checkout against a connect: about 9,000
//! instructions per request (callgrind, `load/probe.sh`). The gateway knows its origins when a
//! deployment is planned, so each planned origin gets its [`OriginPool`] then, and a request
//! takes a connection from a short list under a lock: the most recently used first, one that
//! closed or idled out is dropped on the way, a new one made with hyper's connection API when
//! none is left. A connection goes back to its pool when its response body has been read
//! ([`Lease::release`], [`LeasedBody`]); one whose exchange did not finish is dropped (hyper
//! then closes it). HTTPS origins, origins the plan cannot fix (a placeholder before the
//! path) and Lambda's endpoint keep hyper-util's client.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, Uri};
use http::{Request, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::client::conn::http1;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tower_service::Service;
use tracing::debug;

use super::{Body, BoxError};

/// Most idle connections kept per origin (more are closed when they come back).
const MAX_IDLE_PER_ORIGIN: usize = 1024;

/// The pools of every origin planned so far, by authority (`host:port`); an origin keeps its
/// pool across deployments.
#[derive(Debug)]
pub(crate) struct Pools {
    connector: HttpConnector,
    idle_timeout: Duration,
    read_buffer: usize,
    by_origin: Mutex<HashMap<Authority, Arc<OriginPool>>>,
}

impl Pools {
    /// Pools connecting with `connector` (its connect timeout and `TCP_NODELAY` apply), closing
    /// connections idle for `idle_timeout`, with hyper's read buffer capped at `read_buffer`
    /// bytes per connection.
    pub(crate) fn new(
        connector: HttpConnector,
        idle_timeout: Duration,
        read_buffer: usize,
    ) -> Pools {
        Pools {
            connector,
            idle_timeout,
            read_buffer,
            by_origin: Mutex::new(HashMap::new()),
        }
    }

    /// Closes the idle connections that closed or idled out in every pool, and forgets the
    /// pools that no plan uses any more and that hold no connection. The gateway runs it every
    /// [`Pools::SWEEP_EVERY`]: a pool only looks at its own connections when a request takes
    /// or returns one, and an origin that gets no more traffic would keep its sockets open
    /// until the backend closes them.
    pub(crate) fn sweep(&self) {
        let now = Instant::now();
        let mut pools = self
            .by_origin
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pools.retain(|_, pool| {
            let mut idle = pool.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.retain(|i| !pool.expired(i, now));
            !idle.is_empty() || Arc::strong_count(pool) > 1
        });
    }

    /// How often the gateway runs [`Pools::sweep`].
    pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(10);

    /// The pool of `http://{authority}` (made on first use).
    pub(crate) fn origin(&self, authority: &Authority) -> Arc<OriginPool> {
        let mut pools = self
            .by_origin
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let pool = pools.entry(authority.clone()).or_insert_with(|| {
            Arc::new(OriginPool {
                uri: Uri::builder()
                    .scheme("http")
                    .authority(authority.clone())
                    .path_and_query("/")
                    .build()
                    .unwrap_or_default(),
                connector: self.connector.clone(),
                idle_timeout: self.idle_timeout,
                read_buffer: self.read_buffer,
                idle: Mutex::new(VecDeque::new()),
            })
        });
        Arc::clone(pool)
    }
}

/// The idle connections to one origin.
#[derive(Debug)]
pub(crate) struct OriginPool {
    /// `http://authority/`, what the connector connects to.
    uri: Uri,
    connector: HttpConnector,
    idle_timeout: Duration,
    read_buffer: usize,
    /// Oldest first; taken from the back (the most recently used).
    idle: Mutex<VecDeque<Idle>>,
}

#[derive(Debug)]
struct Idle {
    sender: http1::SendRequest<Body>,
    since: Instant,
}

impl OriginPool {
    /// Sends `req` (origin-form URI, `Host` set) on an idle connection, or on a new one when
    /// none is left. A pooled connection that turns out closed before it took the request
    /// hands it back, and the next one (or a new one) gets it; a failure after the request
    /// went out is the answer. The lease goes back with [`Lease::release`] once the
    /// response body has been read.
    pub(crate) async fn send(
        self: &Arc<Self>,
        mut req: Request<Body>,
    ) -> Result<(Response<Incoming>, Lease), BoxError> {
        while let Some(mut sender) = self.take() {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(resp) => return Ok((resp, self.lease(sender))),
                Err(mut e) => match e.take_message() {
                    Some(unsent) => req = unsent,
                    None => return Err(Box::new(e.into_error())),
                },
            }
        }
        let mut sender = self.connect().await?;
        let resp = sender.send_request(req).await?;
        Ok((resp, self.lease(sender)))
    }

    fn lease(self: &Arc<Self>, sender: http1::SendRequest<Body>) -> Lease {
        Lease {
            pool: Arc::clone(self),
            sender,
        }
    }

    /// The most recently used open idle connection, dropping closed and expired ones.
    fn take(&self) -> Option<http1::SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        while let Some(i) = idle.pop_back() {
            if !self.expired(&i, now) {
                return Some(i.sender);
            }
        }
        None
    }

    /// Whether an idle connection closed or has been idle too long.
    fn expired(&self, i: &Idle, now: Instant) -> bool {
        i.sender.is_closed() || now.saturating_duration_since(i.since) >= self.idle_timeout
    }

    /// Keeps `sender` (ready for a request) for the next request unless it closed, closing
    /// connections that idled out meanwhile (the oldest are at the front), and the oldest one
    /// when the pool is full.
    fn put(&self, sender: http1::SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while idle.front().is_some_and(|i| self.expired(i, now)) {
            idle.pop_front();
        }
        if idle.len() >= MAX_IDLE_PER_ORIGIN {
            idle.pop_front();
        }
        idle.push_back(Idle { sender, since: now });
    }

    /// A new connection, its I/O driven by a task of its own.
    async fn connect(&self) -> Result<http1::SendRequest<Body>, BoxError> {
        let io: TokioIo<tokio::net::TcpStream> =
            self.connector.clone().call(self.uri.clone()).await?;
        let (sender, conn) = http1::Builder::new()
            .max_buf_size(self.read_buffer)
            .handshake(io)
            .await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                debug!(error = %e, "backend connection ended with an error");
            }
        });
        Ok(sender)
    }

    /// How many idle connections the pool holds (for tests).
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A connection taken from an [`OriginPool`] for one exchange.
#[derive(Debug)]
pub(crate) struct Lease {
    pool: Arc<OriginPool>,
    sender: http1::SendRequest<Body>,
}

impl Lease {
    /// The response body has been read to the end: the connection goes back to its pool as
    /// soon as hyper is done with the exchange. That is at once, usually; a backend that
    /// answered before it read the whole request body (an early 4xx during an upload) has
    /// hyper still sending it, and the connection goes back only when that is over (a task
    /// waits for it), so that no request queues behind another client's upload. Dropping a
    /// lease instead closes the connection once the exchange ends.
    pub(crate) fn release(self) {
        let Lease { pool, mut sender } = self;
        if sender.is_ready() {
            pool.put(sender);
        } else if !sender.is_closed() {
            tokio::spawn(async move {
                if sender.ready().await.is_ok() {
                    pool.put(sender);
                }
            });
        }
    }
}

/// A streamed backend response body that gives its connection back when it has been read to
/// the end.
#[derive(Debug)]
pub(crate) struct LeasedBody {
    inner: Incoming,
    lease: Option<Lease>,
}

impl LeasedBody {
    /// `inner`, releasing `lease` (if any) at its end.
    pub(crate) fn new(inner: Incoming, lease: Option<Lease>) -> LeasedBody {
        let mut body = LeasedBody { inner, lease };
        body.release_at_end();
        body
    }

    fn release_at_end(&mut self) {
        use hyper::body::Body as _;
        if self.inner.is_end_stream()
            && let Some(lease) = self.lease.take()
        {
            lease.release();
        }
    }
}

impl hyper::body::Body for LeasedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => {
                if let Some(lease) = self.lease.take() {
                    lease.release();
                }
            }
            Poll::Ready(Some(Err(_))) => self.lease = None,
            Poll::Ready(Some(Ok(_))) => self.release_at_end(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn empty() -> Body {
        Empty::new().map_err(|never| match never {}).boxed()
    }

    fn get(path: &str) -> Request<Body> {
        Request::builder()
            .uri(path)
            .header("host", "backend")
            .body(empty())
            .unwrap()
    }

    fn pools() -> Pools {
        pools_idling(Duration::from_secs(30))
    }

    /// Pools closing connections idle for `idle`.
    fn pools_idling(idle: Duration) -> Pools {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Pools::new(connector, idle, 16 * 1024)
    }

    /// The pool of the origin at `addr`.
    fn pool_at(pools: &Pools, addr: std::net::SocketAddr) -> Arc<OriginPool> {
        pools.origin(&Authority::try_from(addr.to_string()).unwrap())
    }

    /// A backend that answers every request on a connection with `ok <n>` (n: the
    /// connection's number, from 1) and closes a connection after `per_connection` answers.
    async fn counting_backend(per_connection: usize) -> (std::net::SocketAddr, Arc<Mutex<usize>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(0));
        let count = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let n = {
                    let mut c = count.lock().unwrap();
                    *c += 1;
                    *c
                };
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    for _ in 0..per_connection {
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match s.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(k) => buf.extend_from_slice(&chunk[..k]),
                            }
                        }
                        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        buf.drain(..end);
                        let body = format!("ok {n}");
                        let head =
                            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
                        if s.write_all(format!("{head}{body}").as_bytes())
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        (addr, accepted)
    }

    async fn text(pool: &Arc<OriginPool>, path: &str) -> String {
        let (resp, lease) = pool.send(get(path)).await.unwrap();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        lease.release();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn connections_are_reused_after_release() {
        let (addr, accepted) = counting_backend(100).await;
        let pools = pools();
        let pool = pool_at(&pools, addr);
        for _ in 0..5 {
            assert_eq!(text(&pool, "/x").await, "ok 1");
        }
        assert_eq!(*accepted.lock().unwrap(), 1);
        assert_eq!(pool.idle_count(), 1);
        // The same origin, the same pool.
        let again = pool_at(&pools, addr);
        assert!(Arc::ptr_eq(&pool, &again));
    }

    #[tokio::test]
    async fn a_dropped_lease_closes_its_connection() {
        let (addr, accepted) = counting_backend(100).await;
        let pool = pool_at(&pools(), addr);
        let (resp, lease) = pool.send(get("/x")).await.unwrap();
        drop(lease);
        let _ = resp.into_body().collect().await;
        assert_eq!(pool.idle_count(), 0);
        assert_eq!(text(&pool, "/x").await, "ok 2");
        assert_eq!(*accepted.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_connection_the_backend_closed_is_replaced() {
        // One answer per connection: the pooled connection is closed by the backend before
        // the next request.
        let (addr, accepted) = counting_backend(1).await;
        let pool = pool_at(&pools(), addr);
        for n in 1..=4 {
            assert_eq!(text(&pool, "/x").await, format!("ok {n}"));
            // Let the connection's task see the close.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(*accepted.lock().unwrap(), 4);
    }

    #[tokio::test]
    async fn idle_connections_expire() {
        let (addr, accepted) = counting_backend(100).await;
        let pools = pools_idling(Duration::from_millis(50));
        let pool = pool_at(&pools, addr);
        assert_eq!(text(&pool, "/x").await, "ok 1");
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(text(&pool, "/x").await, "ok 2");
        assert_eq!(*accepted.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn concurrent_requests_get_their_own_connections() {
        let (addr, accepted) = counting_backend(100).await;
        let pool = pool_at(&pools(), addr);
        let (a, b) = tokio::join!(pool.send(get("/a")), pool.send(get("/b")));
        let ((ra, la), (rb, lb)) = (a.unwrap(), b.unwrap());
        let mut bodies = vec![
            ra.into_body().collect().await.unwrap().to_bytes(),
            rb.into_body().collect().await.unwrap().to_bytes(),
        ];
        bodies.sort();
        assert_eq!(bodies, ["ok 1", "ok 2"]);
        la.release();
        lb.release();
        assert_eq!(pool.idle_count(), 2);
        assert_eq!(*accepted.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_leased_body_releases_at_its_end() {
        let (addr, accepted) = counting_backend(100).await;
        let pool = pool_at(&pools(), addr);
        let (resp, lease) = pool.send(get("/x")).await.unwrap();
        let body = LeasedBody::new(resp.into_body(), Some(lease));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "ok 1");
        assert_eq!(pool.idle_count(), 1);
        assert_eq!(text(&pool, "/x").await, "ok 1");
        assert_eq!(*accepted.lock().unwrap(), 1);
    }

    /// Reads from `s` into `buf` until `end` is in it; where it ends.
    async fn read_until(
        s: &mut tokio::net::TcpStream,
        buf: &mut Vec<u8>,
        end: &[u8],
    ) -> Option<usize> {
        let mut chunk = [0u8; 1024];
        loop {
            if let Some(at) = buf.windows(end.len()).position(|w| w == end) {
                return Some(at + end.len());
            }
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(k) => buf.extend_from_slice(&chunk[..k]),
            }
        }
    }

    /// A backend that answers every request at once, before it reads the request's (chunked)
    /// body, then reads the body to its end before the next request.
    async fn early_answering_backend() -> (std::net::SocketAddr, Arc<Mutex<usize>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(0));
        let count = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                *count.lock().unwrap() += 1;
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    while let Some(head) = read_until(&mut s, &mut buf, b"\r\n\r\n").await {
                        let chunked = String::from_utf8_lossy(&buf[..head])
                            .to_ascii_lowercase()
                            .contains("transfer-encoding: chunked");
                        buf.drain(..head);
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if s.write_all(answer).await.is_err() {
                            return;
                        }
                        if chunked {
                            let Some(end) = read_until(&mut s, &mut buf, b"0\r\n\r\n").await else {
                                return;
                            };
                            buf.drain(..end);
                        }
                    }
                });
            }
        });
        (addr, accepted)
    }

    /// A request body whose chunks come from a channel (an upload in progress).
    struct Uploading(tokio::sync::mpsc::Receiver<Bytes>);

    impl hyper::body::Body for Uploading {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            self.0.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b))))
        }
    }

    /// A backend that answers before it has read the request body: the connection goes back
    /// to the pool only once hyper has sent the whole body, and a request meanwhile gets
    /// another connection instead of waiting behind the upload.
    #[tokio::test]
    async fn a_connection_still_uploading_is_not_handed_out() {
        let (addr, accepted) = early_answering_backend().await;
        let pool = pool_at(&pools(), addr);
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let upload = Request::builder()
            .method("POST")
            .uri("/up")
            .header("host", "backend")
            .body(Uploading(rx).boxed())
            .unwrap();
        tx.send(Bytes::from_static(b"first part")).await.unwrap();
        let (resp, lease) = pool.send(upload).await.unwrap();
        assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "ok");
        lease.release();
        // The upload goes on: the connection is not idle yet.
        assert_eq!(pool.idle_count(), 0);
        let quick = tokio::time::timeout(Duration::from_secs(2), text(&pool, "/quick"))
            .await
            .expect("a request queued behind the upload");
        assert_eq!(quick, "ok");
        assert_eq!(*accepted.lock().unwrap(), 2);
        // The upload ends: its connection comes back too.
        tx.send(Bytes::from_static(b"last part")).await.unwrap();
        drop(tx);
        let deadline = Instant::now() + Duration::from_secs(2);
        while pool.idle_count() < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(pool.idle_count(), 2);
    }

    #[tokio::test]
    async fn the_sweep_closes_idle_connections_and_forgets_unused_pools() {
        let (addr, _) = counting_backend(100).await;
        let pools = pools_idling(Duration::from_millis(50));
        let pool = pool_at(&pools, addr);
        assert_eq!(text(&pool, "/x").await, "ok 1");
        // In use by a plan (here: `pool`) and holding a fresh connection: both kept.
        pools.sweep();
        assert_eq!(pool.idle_count(), 1);
        tokio::time::sleep(Duration::from_millis(80)).await;
        pools.sweep();
        assert_eq!(pool.idle_count(), 0);
        assert_eq!(pools.by_origin.lock().unwrap().len(), 1);
        // No plan uses it any more: forgotten.
        drop(pool);
        pools.sweep();
        assert!(pools.by_origin.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_unreachable_origin_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let pool = pool_at(&pools(), addr);
        assert!(pool.send(get("/x")).await.is_err());
        assert_eq!(pool.idle_count(), 0);
    }
}
