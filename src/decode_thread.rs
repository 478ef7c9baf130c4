//! Each document is read on a thread of its own, which ends with the reading. The allocator
//! keeps what a thread freed for that thread's next use: read on tokio's blocking pool (many
//! threads, each kept ten seconds) or on a few long-lived threads, a burst of large documents
//! left tens of MiB resident after it was over, and the cached pages of many threads added to
//! the peak. A thread that ends gives its pages back (mimalloc, `main.rs`). Measured with
//! `tests/memory_budget.rs` (16 concurrent zip bombs, 64 MiB budget), resident memory above
//! idle at the peak and after: glibc on the blocking pool +15–82 / +15–81 MiB; glibc on two
//! long-lived threads +57 / +57; glibc, a thread per document +58 / +57; mimalloc on the
//! blocking pool +108–164 / +0–21; mimalloc on two long-lived threads +71–73 / +66–70; mimalloc, a
//! thread per document +69–77 / +10–16 — and +9–73 after in later runs, as a thread's memory
//! came from an arena and its segments stayed resident when a block of theirs outlived it;
//! taken from the OS instead (`.cargo/config.toml`), +56–59 / +4.6–9.0 in six runs. Starting a
//! thread costs microseconds; reading costs milliseconds to seconds.

/// The thread could not be started, or `job` panicked without catching it.
#[derive(Debug, thiserror::Error)]
#[error("the document reading thread failed")]
pub struct ThreadFailed;

/// Runs `job` on a new thread and waits for its answer.
pub async fn on_own_thread<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ThreadFailed> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("kakehashi-read".into())
        .spawn(move || {
            let _ = answer.send(job());
        })
        .map_err(|_| ThreadFailed)?;
    answered.await.map_err(|_| ThreadFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_runs_on_a_reading_thread_and_a_panic_is_an_error_not_a_crash() {
        let name = on_own_thread(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("kakehashi-read"));
        assert!(on_own_thread(|| panic!("a bug")).await.is_err());
        assert_eq!(on_own_thread(|| 2 * 21).await.unwrap(), 42);
    }
}
