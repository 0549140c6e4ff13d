//! A byte budget shared by concurrent tasks: each takes a share (a number of bytes) and gives
//! it back when the [`Share`] is dropped; a share that does not fit waits, in turn.
//!
//! What a tokio `Semaphore` with bytes as permits does (`try_acquire_many_owned`, else
//! `acquire_many_owned`), at a lower cost when nobody waits: the bytes in use and a "someone
//! waits" flag live in one atomic word, so taking a share that fits is one compare-and-swap
//! and giving it back one atomic subtraction. The semaphore takes its waiters' lock on every
//! release; here the lock is taken only while a task waits.
//!
//! **Fairness**: waiting tasks are served in the order they started waiting (FIFO), a big
//! share is never starved by many small ones. While one task waits every taker queues behind
//! it, even one whose share would fit: the fast path is only for an empty queue. A released
//! share goes to the queue's front first (the releasing task takes the bytes on the waiter's
//! behalf and wakes it), so a share that fits never overtakes a waiting one.
//!
//! **Cancellation**: dropping a waiting [`Take`] leaves the queue and takes nothing; one
//! dropped after its bytes were taken for it (granted, not yet polled) gives them back and
//! serves the next waiters, so no wake-up is lost.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// The bytes in use: the low 32 bits of [`Inner::state`].
const USED: u64 = u32::MAX as u64;
/// Set while the queue holds a waiting task (changed only under [`Inner::queue`]'s lock).
const WAITING: u64 = 1 << 32;

/// A budget of at most `u32::MAX` bytes.
#[derive(Debug, Clone)]
pub(super) struct ByteBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The budget in bytes.
    total: u32,
    /// The bytes in use ([`USED`]) and [`WAITING`].
    state: AtomicU64,
    queue: Mutex<Queue>,
}

/// The waiting tasks, oldest first.
#[derive(Debug, Default)]
struct Queue {
    waiters: VecDeque<Waiter>,
    /// The id of the next waiter (ids grow, so the queue is sorted by id).
    next_id: u64,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    bytes: u32,
    waker: Option<Waker>,
}

impl ByteBudget {
    /// A budget of `total` bytes (`total > 0`: a share takes at least 1 byte).
    pub(super) fn new(total: u32) -> ByteBudget {
        debug_assert!(total > 0);
        ByteBudget {
            inner: Arc::new(Inner {
                total,
                state: AtomicU64::new(0),
                queue: Mutex::new(Queue::default()),
            }),
        }
    }

    /// The budget in bytes.
    pub(super) fn total(&self) -> u32 {
        self.inner.total
    }

    /// The bytes not taken.
    #[cfg(test)]
    pub(super) fn available(&self) -> u32 {
        let used = self.inner.state.load(Ordering::Acquire) & USED;
        self.inner.total - used as u32
    }

    /// Waits for a share of `bytes` (`1..=total`: a larger one would never fit), taken at
    /// once when it fits and nobody waits, else in turn.
    pub(super) fn take(&self, bytes: u32) -> Take<'_> {
        debug_assert!((1..=self.inner.total).contains(&bytes));
        Take {
            budget: self,
            bytes,
            state: TakeState::Start,
        }
    }

    /// A share of `bytes`, when it fits and nobody waits.
    #[cfg(test)]
    pub(super) fn try_take(&self, bytes: u32) -> Option<Share> {
        self.inner.try_take(bytes).then(|| self.share(bytes))
    }

    fn share(&self, bytes: u32) -> Share {
        Share {
            inner: Arc::clone(&self.inner),
            bytes,
        }
    }
}

impl Inner {
    /// Takes `bytes` when they fit and nobody waits.
    #[inline]
    fn try_take(&self, bytes: u32) -> bool {
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s & WAITING != 0 || (s & USED) + u64::from(bytes) > u64::from(self.total) {
                return false;
            }
            match self.state.compare_exchange_weak(
                s,
                s + u64::from(bytes),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `bytes` back; serves the waiters if there are any.
    #[inline]
    fn release(&self, bytes: u32) {
        let before = self.state.fetch_sub(u64::from(bytes), Ordering::AcqRel);
        if before & WAITING != 0 {
            self.serve_after_release();
        }
    }

    #[cold]
    #[inline(never)]
    fn serve_after_release(&self) {
        let wakers = self.serve(&mut self.lock());
        wake_all(wakers);
    }

    /// Under the queue's lock: takes the shares of the waiters at the front that fit, in
    /// order, removes them from the queue and returns their wakers; clears [`WAITING`] once
    /// the queue is empty.
    fn serve(&self, queue: &mut Queue) -> Vec<Waker> {
        let mut wakers = Vec::new();
        while let Some(front) = queue.waiters.front_mut() {
            // Only releases change the state meanwhile (takers see WAITING and queue).
            let mut s = self.state.load(Ordering::Acquire);
            loop {
                if (s & USED) + u64::from(front.bytes) > u64::from(self.total) {
                    return wakers;
                }
                match self.state.compare_exchange_weak(
                    s,
                    s + u64::from(front.bytes),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(now) => s = now,
                }
            }
            wakers.extend(front.waker.take());
            queue.waiters.pop_front();
        }
        self.state.fetch_and(!WAITING, Ordering::AcqRel);
        wakers
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

/// Bytes taken from a [`ByteBudget`], given back when dropped.
#[derive(Debug)]
pub(super) struct Share {
    inner: Arc<Inner>,
    bytes: u32,
}

impl Share {
    /// The bytes taken.
    #[cfg(test)]
    pub(super) fn bytes(&self) -> u32 {
        self.bytes
    }
}

impl Drop for Share {
    #[inline]
    fn drop(&mut self) {
        self.inner.release(self.bytes);
    }
}

/// The future of [`ByteBudget::take`].
#[derive(Debug)]
pub(super) struct Take<'a> {
    budget: &'a ByteBudget,
    bytes: u32,
    state: TakeState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TakeState {
    /// Not polled yet.
    Start,
    /// In the queue under this id (or removed from it once granted).
    Queued(u64),
    /// The share was handed out.
    Done,
}

impl Future for Take<'_> {
    type Output = Share;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Share> {
        if self.state == TakeState::Start && self.budget.inner.try_take(self.bytes) {
            self.state = TakeState::Done;
            return Poll::Ready(self.budget.share(self.bytes));
        }
        self.poll_slow(cx)
    }
}

impl Take<'_> {
    /// [`Take::poll`] when the share was not taken at once: queues, or looks whether a
    /// release granted it.
    #[cold]
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Share> {
        let inner = &self.budget.inner;
        let bytes = self.bytes;
        match self.state {
            TakeState::Start => {
                let mut queue = inner.lock();
                // Under the lock WAITING changes only here and in `serve`: with nobody
                // waiting the share is taken if it fits now (a release may have come in
                // between); otherwise the flag is set by the same compare-and-swap that saw
                // the state, so a later release sees it and serves the queue.
                let mut s = inner.state.load(Ordering::Acquire);
                loop {
                    let fits = (s & USED) + u64::from(bytes) <= u64::from(inner.total);
                    let next = match (s & WAITING != 0, fits) {
                        (true, _) => break,
                        (false, true) => s + u64::from(bytes),
                        (false, false) => s | WAITING,
                    };
                    match inner.state.compare_exchange_weak(
                        s,
                        next,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) if fits => {
                            drop(queue);
                            self.state = TakeState::Done;
                            return Poll::Ready(self.budget.share(bytes));
                        }
                        Ok(_) => break,
                        Err(now) => s = now,
                    }
                }
                let id = queue.next_id;
                queue.next_id += 1;
                queue.waiters.push_back(Waiter {
                    id,
                    bytes,
                    waker: Some(cx.waker().clone()),
                });
                drop(queue);
                self.state = TakeState::Queued(id);
                Poll::Pending
            }
            TakeState::Queued(id) => {
                let mut queue = inner.lock();
                match queue.waiters.binary_search_by_key(&id, |w| w.id) {
                    Ok(i) => {
                        let waker = &mut queue.waiters[i].waker;
                        match waker {
                            Some(w) if w.will_wake(cx.waker()) => {}
                            other => *other = Some(cx.waker().clone()),
                        }
                        Poll::Pending
                    }
                    // Granted: `serve` took the bytes and removed the waiter.
                    Err(_) => {
                        drop(queue);
                        self.state = TakeState::Done;
                        Poll::Ready(self.budget.share(bytes))
                    }
                }
            }
            TakeState::Done => panic!("`Take` polled after completion"),
        }
    }

    /// [`Take`]'s drop while queued: leaves the queue, or gives back a share granted but not
    /// seen.
    #[cold]
    #[inline(never)]
    fn cancel(&mut self, id: u64) {
        let inner = &self.budget.inner;
        let mut queue = inner.lock();
        match queue.waiters.binary_search_by_key(&id, |w| w.id) {
            // Still waiting: nothing was taken; the waiters behind may fit now.
            Ok(i) => {
                queue.waiters.remove(i);
            }
            // Granted but never seen: give the bytes back (the lock is held, so serve here).
            Err(_) => {
                inner
                    .state
                    .fetch_sub(u64::from(self.bytes), Ordering::AcqRel);
            }
        }
        // Serves the waiters behind (and clears WAITING once the queue is empty).
        let wakers = inner.serve(&mut queue);
        drop(queue);
        wake_all(wakers);
    }
}

impl Drop for Take<'_> {
    #[inline]
    fn drop(&mut self) {
        if let TakeState::Queued(id) = self.state {
            self.cancel(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// Polls `f` once (with a waker that does nothing).
    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        poll_with(f, Waker::noop())
    }

    /// Polls `f` once with `waker`.
    fn poll_with<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
        Pin::new(f).poll(&mut Context::from_waker(waker))
    }

    /// A waker that counts its wakes (`CountingWaker::wakes`).
    fn counting_waker() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        (counter, waker)
    }

    #[test]
    fn takes_up_to_the_total_and_gives_back_on_drop() {
        let b = ByteBudget::new(100);
        let a = b.try_take(60).unwrap();
        assert_eq!((a.bytes(), b.available()), (60, 40));
        assert!(b.try_take(41).is_none());
        let c = b.try_take(40).unwrap();
        assert_eq!(b.available(), 0);
        drop(a);
        assert_eq!(b.available(), 60);
        drop(c);
        assert_eq!(b.available(), 100);
        assert_eq!(b.try_take(100).unwrap().bytes(), 100);
        assert_eq!(b.available(), 100);
    }

    #[test]
    fn a_waiter_is_woken_by_a_release() {
        let b = ByteBudget::new(100);
        let a = b.try_take(70).unwrap();
        let (counter, waker) = counting_waker();
        let mut t = b.take(50);
        assert!(poll_with(&mut t, &waker).is_pending());
        assert_eq!(counter.wakes(), 0);
        drop(a);
        // The release took the bytes for the waiter and woke it.
        assert_eq!(counter.wakes(), 1);
        assert_eq!(b.available(), 50);
        let Poll::Ready(s) = poll_with(&mut t, &waker) else {
            panic!("granted");
        };
        assert_eq!(s.bytes(), 50);
        drop(s);
        assert_eq!(b.available(), 100);
    }

    struct CountingWaker(AtomicUsize);
    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    impl CountingWaker {
        fn wakes(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// While a big share waits, smaller ones that would fit queue behind it (no starvation),
    /// and waiters are served in the order they came.
    #[test]
    fn waiters_are_served_in_order() {
        let b = ByteBudget::new(100);
        let held = b.try_take(60).unwrap();
        let mut big = b.take(100);
        assert!(poll_once(&mut big).is_pending());
        // 40 bytes are free, but the big share waits: a small one queues behind it.
        assert!(b.try_take(10).is_none());
        let mut small = b.take(10);
        assert!(poll_once(&mut small).is_pending());
        let mut small2 = b.take(30);
        assert!(poll_once(&mut small2).is_pending());
        assert_eq!(b.available(), 40);
        drop(held);
        // The big one first; the small ones still wait for it.
        let Poll::Ready(big_share) = poll_once(&mut big) else {
            panic!("the big share is served first");
        };
        assert!(poll_once(&mut small).is_pending());
        assert!(poll_once(&mut small2).is_pending());
        drop(big_share);
        let (Poll::Ready(s1), Poll::Ready(s2)) = (poll_once(&mut small), poll_once(&mut small2))
        else {
            panic!("both small shares fit together");
        };
        assert_eq!(b.available(), 60);
        // Nobody waits any more: the fast path works again.
        let s3 = b.try_take(60).unwrap();
        drop((s1, s2, s3));
        assert_eq!(b.available(), 100);
    }

    /// A waiter dropped while waiting takes nothing, and the ones behind it are served if
    /// they fit now.
    #[test]
    fn a_cancelled_waiter_takes_nothing_and_unblocks_the_next() {
        let b = ByteBudget::new(100);
        let held = b.try_take(50).unwrap();
        let mut big = b.take(80);
        assert!(poll_once(&mut big).is_pending());
        let mut small = b.take(50);
        assert!(poll_once(&mut small).is_pending());
        drop(big);
        let Poll::Ready(share) = poll_once(&mut small) else {
            panic!("the next waiter fits once the one ahead left");
        };
        assert_eq!(b.available(), 0);
        drop((share, held));
        assert_eq!(b.available(), 100);
        // The queue is empty again.
        assert!(b.try_take(100).is_some());
    }

    /// A waiter granted its bytes but dropped before it saw them gives them back and the
    /// next waiter gets them (no wake-up lost).
    #[test]
    fn a_granted_but_cancelled_waiter_passes_its_share_on() {
        let b = ByteBudget::new(100);
        let held = b.try_take(100).unwrap();
        let mut first = b.take(100);
        assert!(poll_once(&mut first).is_pending());
        let (counter, waker) = counting_waker();
        let mut second = b.take(100);
        assert!(poll_with(&mut second, &waker).is_pending());
        drop(held);
        assert_eq!(b.available(), 0, "granted to the first waiter");
        assert_eq!(counter.wakes(), 0);
        drop(first);
        assert_eq!(counter.wakes(), 1, "the second waiter is woken");
        let Poll::Ready(s) = poll_with(&mut second, &waker) else {
            panic!("granted to the second");
        };
        drop(s);
        assert_eq!(b.available(), 100);
        assert!(b.try_take(1).is_some());
    }

    /// A never-polled or completed `Take` dropped changes nothing.
    #[test]
    fn dropping_an_unpolled_or_completed_take_changes_nothing() {
        let b = ByteBudget::new(10);
        drop(b.take(10));
        assert_eq!(b.available(), 10);
        let mut t = b.take(10);
        let Poll::Ready(s) = poll_once(&mut t) else {
            panic!("fits");
        };
        drop(t);
        assert_eq!(b.available(), 0);
        drop(s);
        assert_eq!(b.available(), 10);
    }

    /// Many tasks on several threads take and give back shares; the bytes in use never go
    /// over the budget and all are back at the end. Some waits time out (cancelled waiters).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_takes_and_releases_stay_within_the_budget() {
        let b = ByteBudget::new(1000);
        let in_use = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for t in 0..16u32 {
            let b = b.clone();
            let in_use = Arc::clone(&in_use);
            tasks.push(tokio::spawn(async move {
                let mut served = 0;
                for i in 0..300u32 {
                    let bytes = 1 + (t * 131 + i * 97) % 1000;
                    let share = if i % 7 == 0 {
                        match tokio::time::timeout(Duration::from_micros(50), b.take(bytes)).await {
                            Ok(s) => s,
                            Err(_) => continue,
                        }
                    } else {
                        b.take(bytes).await
                    };
                    let now = in_use.fetch_add(bytes as usize, Ordering::SeqCst) + bytes as usize;
                    assert!(now <= 1000, "{now} bytes in use");
                    if i % 3 == 0 {
                        tokio::task::yield_now().await;
                    }
                    in_use.fetch_sub(bytes as usize, Ordering::SeqCst);
                    drop(share);
                    served += 1;
                }
                served
            }));
        }
        let mut served = 0;
        for t in tasks {
            served += t.await.unwrap();
        }
        assert!(served > 16 * 250);
        assert!(b.inner.lock().next_id > 0, "some tasks waited");
        assert_eq!(b.available(), 1000);
        assert_eq!(b.inner.state.load(Ordering::SeqCst), 0, "no waiter left");
        assert!(b.try_take(1000).is_some());
    }

    /// Waiting tasks on a multi-thread runtime are woken by releases from other tasks, in
    /// the order they queued.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_tasks_are_served_in_order_across_threads() {
        let b = ByteBudget::new(100);
        let held = b.try_take(100).unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for n in 0..5 {
            let mine = b.clone();
            let order = Arc::clone(&order);
            tasks.push(tokio::spawn(async move {
                let s = mine.take(100).await;
                order.lock().unwrap().push(n);
                tokio::time::sleep(Duration::from_millis(2)).await;
                drop(s);
            }));
            // Queue them one after the other.
            while b.inner.lock().waiters.len() < n + 1 {
                tokio::task::yield_now().await;
            }
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(b.available(), 100);
    }
}
