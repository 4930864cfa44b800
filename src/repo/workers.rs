//! repo::workers: the threads of one repository check (`check --jobs N`) and the one way work
//! fans out over them — an ordered map, so what comes back never depends on the thread count.
//!
//! It knows nothing about templates or hosts: callers hand it independent items and a function
//! that is safe to call from any thread, and merge the results in their own order.

use rayon::prelude::*;
use std::num::NonZeroUsize;

/// Worker threads need more than rayon's default 2 MiB of stack: the parsers and the renderer
/// recurse, and inputs nested as deep as the main thread's 8 MiB allow must still pass.
const STACK_SIZE: usize = 16 << 20;

/// A pool of `N` threads, or none at all for `--jobs 1` (everything on the calling thread).
pub(crate) struct Workers {
    pool: Option<rayon::ThreadPool>,
}

impl Workers {
    /// `jobs` threads; `None` means one per available core.
    pub(crate) fn new(jobs: Option<NonZeroUsize>) -> Workers {
        let threads = jobs
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get);
        if threads == 1 {
            return Workers::sequential();
        }
        // A system that cannot start threads still gets its check, on this one.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .stack_size(STACK_SIZE)
            .thread_name(|i| format!("mxlint-worker-{i}"))
            .build()
            .ok();
        Workers { pool }
    }

    /// No threads: every item on the calling thread, in order.
    pub(crate) fn sequential() -> Workers {
        Workers { pool: None }
    }

    /// `f` of each item, in the items' order whichever thread computed which.
    pub(crate) fn map<T, R, F>(&self, items: &[T], f: F) -> Vec<R>
    where
        T: Sync,
        R: Send,
        F: Fn(&T) -> R + Sync + Send,
    {
        match &self.pool {
            Some(pool) if items.len() > 1 => pool.install(|| items.par_iter().map(&f).collect()),
            _ => items.iter().map(f).collect(),
        }
    }

    /// Frees `value` on a worker when one is free, so the caller goes on at once: the
    /// structures a large fleet leaves behind (its variables, its rendered files) take tens of
    /// milliseconds to free piece by piece. Without threads, frees it here.
    pub(crate) fn drop_later<T: Send + 'static>(&self, value: T) {
        match &self.pool {
            Some(pool) => pool.spawn(move || drop(value)),
            None => drop(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_whatever_the_thread_count() {
        let items: Vec<u64> = (0..2000).collect();
        let square = |n: &u64| n * n;
        let expected: Vec<u64> = items.iter().map(square).collect();
        for jobs in [1, 2, 3, 8] {
            let workers = Workers::new(NonZeroUsize::new(jobs));
            assert_eq!(workers.map(&items, square), expected, "{jobs} threads");
        }
    }

    #[test]
    fn work_runs_on_the_pool_with_a_deep_stack() {
        // 4 MiB on the stack would overflow rayon's default 2 MiB worker stack.
        fn deep(n: u32) -> u32 {
            let pad = std::hint::black_box([0u8; 4096]);
            if n == 0 {
                u32::from(pad[0])
            } else {
                deep(n - 1) + u32::from(pad[1])
            }
        }
        let workers = Workers::new(NonZeroUsize::new(2));
        let names = workers.map(&[1024u32, 1024], |&n| {
            deep(n);
            std::thread::current().name().map(str::to_string)
        });
        assert!(
            names.iter().all(|n| n
                .as_deref()
                .is_some_and(|n| n.starts_with("mxlint-worker-"))),
            "{names:?}"
        );
    }

    /// Tells which thread dropped it.
    struct Tell(std::sync::mpsc::Sender<Option<String>>);

    impl Drop for Tell {
        fn drop(&mut self) {
            let _ = self
                .0
                .send(std::thread::current().name().map(str::to_string));
        }
    }

    #[test]
    fn values_dropped_later_are_freed_on_a_worker_even_after_the_pool_is_gone() {
        let (tx, rx) = std::sync::mpsc::channel();
        Workers::new(NonZeroUsize::new(2)).drop_later(Tell(tx.clone()));
        let by = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the value was never dropped");
        assert!(
            by.as_deref()
                .is_some_and(|n| n.starts_with("mxlint-worker-")),
            "{by:?}"
        );
        // Without threads the value goes at once, on the calling thread.
        Workers::sequential().drop_later(Tell(tx));
        let here = std::thread::current().name().map(str::to_string);
        assert_eq!(rx.try_recv().ok(), Some(here));
    }
}
