//! The TCP connector of the backend client: hyper-util's [`HttpConnector`] whose connections
//! report no per-connection extras.
//!
//! hyper-util's TCP connections report their addresses (`HttpInfo`) as an "extra", which the
//! pooled client inserts into the extensions of every response (three heap allocations per
//! backend call: the extensions map, its table and the boxed value). The proxy never reads
//! them, so its connections report none; everything else is the wrapped connector's.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

/// [`HttpConnector`] with connections that report no extras ([`BackendIo`]).
#[derive(Debug, Clone)]
pub(super) struct BackendConnector(pub(super) HttpConnector);

/// The error of [`HttpConnector`].
type ConnectError = <HttpConnector as Service<Uri>>::Error;

impl Service<Uri> for BackendConnector {
    type Response = BackendIo;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<BackendIo, ConnectError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move { connecting.await.map(BackendIo) })
    }
}

/// A backend TCP connection: [`HttpConnector`]'s, without its `HttpInfo` extra.
#[derive(Debug)]
pub(super) struct BackendIo(TokioIo<TcpStream>);

impl Connection for BackendIo {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl Read for BackendIo {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl Write for BackendIo {
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    #[inline]
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }

    #[inline]
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    #[inline]
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The connections report nothing but a plain connection (no extras, not proxied, no
    /// HTTP/2 negotiated), and carry bytes both ways.
    #[tokio::test]
    async fn connections_without_extras() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let echo = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let (mut r, mut w) = s.split();
            tokio::io::copy(&mut r, &mut w).await.unwrap();
        });
        let mut connector = BackendConnector(HttpConnector::new());
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .unwrap();
        let uri: Uri = format!("http://{addr}/").parse().unwrap();
        let mut io = connector.call(uri).await.unwrap();
        let connected = io.connected();
        assert!(!connected.is_proxied());
        assert!(!connected.is_negotiated_h2());
        let mut extensions = http::Extensions::new();
        connected.get_extras(&mut extensions);
        assert!(extensions.is_empty());

        let sent = std::future::poll_fn(|cx| Pin::new(&mut io).poll_write(cx, b"ping"))
            .await
            .unwrap();
        assert_eq!(sent, 4);
        std::future::poll_fn(|cx| Pin::new(&mut io).poll_shutdown(cx))
            .await
            .unwrap();
        let mut got = Vec::new();
        loop {
            let mut storage = [std::mem::MaybeUninit::<u8>::uninit(); 16];
            let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
            std::future::poll_fn(|cx| Pin::new(&mut io).poll_read(cx, buf.unfilled()))
                .await
                .unwrap();
            if buf.filled().is_empty() {
                break;
            }
            got.extend_from_slice(buf.filled());
        }
        assert_eq!(got, b"ping");
        echo.await.unwrap();
    }
}
