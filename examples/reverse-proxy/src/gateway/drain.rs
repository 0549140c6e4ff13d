//! Graceful shutdown of a listener's connections: when it starts, every connection is told to
//! finish its in-flight requests and close (hyper's `graceful_shutdown`), and the listener
//! waits for all of them to end.
//!
//! What hyper-util's `GracefulShutdown` does, at a lower cost per poll: it polls a `watch`
//! channel's change future every time a connection is polled (a lock and the channel's
//! bookkeeping, twice per request); here a poll compares the connection's stored waker and
//! reads a flag under an uncontended per-connection lock.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Waker};

use tokio::sync::Notify;

/// The connections of one listener and whether they are draining.
#[derive(Debug, Default)]
pub(super) struct Drain {
    draining: AtomicBool,
    next_id: AtomicU64,
    /// The live connections' wakers, by id.
    live: Mutex<HashMap<u64, Arc<Slot>>>,
    /// Notified when the last connection ends while draining.
    all_done: Notify,
}

/// Where a connection keeps the waker that shutdown wakes.
#[derive(Debug, Default)]
struct Slot {
    waker: Mutex<Option<Waker>>,
}

/// A connection's registration: removed from [`Drain`] when dropped.
#[derive(Debug)]
pub(super) struct Registration {
    drain: Arc<Drain>,
    id: u64,
    slot: Arc<Slot>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut live = self
            .drain
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        live.remove(&self.id);
        let last = live.is_empty();
        drop(live);
        if last && self.drain.draining.load(Ordering::SeqCst) {
            self.drain.all_done.notify_waiters();
        }
    }
}

impl Registration {
    /// Stores the task's waker (when it changed) and tells whether shutdown has started. The
    /// flag is read under the slot's lock, which shutdown takes after setting it, so a
    /// connection either sees the flag or is woken.
    fn draining(&self, cx: &Context<'_>) -> bool {
        let mut waker = self
            .slot
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &mut *waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            other => *other = Some(cx.waker().clone()),
        }
        self.drain.draining.load(Ordering::SeqCst)
    }
}

impl Registration {
    /// Serves `conn` until it ends, shutting it down gracefully (`shutdown_conn`) once
    /// [`Drain::shutdown`] has started; the registration ends with it.
    pub(super) async fn serve<C: Future>(
        self,
        mut conn: Pin<&mut C>,
        shutdown_conn: impl Fn(Pin<&mut C>),
    ) -> C::Output {
        let mut shutting_down = false;
        std::future::poll_fn(|cx| {
            if !shutting_down && self.draining(cx) {
                shutting_down = true;
                shutdown_conn(conn.as_mut());
            }
            conn.as_mut().poll(cx)
        })
        .await
    }
}

impl Drain {
    /// Registers a new connection (before its task is spawned, so that a shutdown starting
    /// meanwhile waits for it).
    pub(super) fn register(self: &Arc<Self>) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::default());
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&slot));
        Registration {
            drain: Arc::clone(self),
            id,
            slot,
        }
    }

    /// Tells every connection to finish and waits until all have ended.
    pub(super) async fn shutdown(&self) {
        self.draining.store(true, Ordering::SeqCst);
        let slots: Vec<Arc<Slot>> = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for slot in slots {
            let waker = slot
                .waker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(w) = waker {
                w.wake();
            }
        }
        loop {
            let done = self.all_done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if self
                .live
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
            {
                return;
            }
            done.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A connection that stays open until told to shut down, then ends at its next poll.
    struct Idle {
        told: bool,
        polls: usize,
    }

    impl Future for Idle {
        type Output = usize;
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> std::task::Poll<usize> {
            self.polls += 1;
            if self.told {
                std::task::Poll::Ready(self.polls)
            } else {
                std::task::Poll::Pending
            }
        }
    }

    #[tokio::test]
    async fn shutdown_tells_every_connection_and_waits() {
        let drain = Arc::new(Drain::default());
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let registration = drain.register();
            tasks.push(tokio::spawn(async move {
                let conn = std::pin::pin!(Idle {
                    told: false,
                    polls: 0
                });
                registration.serve(conn, |mut c| c.told = true).await
            }));
        }
        // A connection that ends by itself leaves the set.
        let registration = drain.register();
        let done = std::pin::pin!(std::future::ready(7));
        assert_eq!(registration.serve(done, |_| {}).await, 7);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(drain.live.lock().unwrap().len(), 3);
        tokio::time::timeout(Duration::from_secs(5), drain.shutdown())
            .await
            .expect("shutdown waits for the connections, which end");
        assert!(drain.live.lock().unwrap().is_empty());
        for t in tasks {
            assert_eq!(t.await.unwrap(), 2, "polled once idle, once after shutdown");
        }
        // Registered after shutdown started: shut down at its first poll.
        let registration = drain.register();
        let conn = std::pin::pin!(Idle {
            told: false,
            polls: 0
        });
        assert_eq!(registration.serve(conn, |mut c| c.told = true).await, 1);
        // Nothing left: returns at once.
        drain.shutdown().await;
    }
}
