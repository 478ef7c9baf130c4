//! The decoding budget (解析メモリ予算): one allowance of memory that every document being
//! read draws from — archives inflated, page images decoded, text parsed into records. Each
//! document stays within its own limits, but without a shared allowance a handful of them at
//! once (eight zip bombs that each pass the per-entry checks) exhaust the gateway together.
//!
//! Before a document is read, the most its adapter says reading it may take
//! ([`Adapter::memory_bound`](kakehashi_sdk::Adapter::memory_bound)) is reserved; the
//! reservation is given back when dropped. When the budget is spent, a request waits a little
//! for others to finish and is then told to come back later (503 `busy` with Retry-After)
//! instead of taking memory the machine does not have.
//!
//! A document whose bound is larger than the whole budget (a text export of several MiB: text
//! formats are bounded at 64 times their size until they are read as a stream) reserves the
//! whole budget and so is read alone. Refusing it would refuse files the gateway has always
//! taken (up to `max_body_bytes`); reading it alone keeps the overshoot to that one document,
//! which `max_body_bytes` bounds.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const KIB: u64 = 1024;

/// The shared budget: a semaphore counting KiB.
#[derive(Debug, Clone)]
pub struct DecodeBudget {
    kib: Arc<Semaphore>,
    capacity_kib: u32,
    wait: Duration,
}

/// Memory reserved from the budget, given back when dropped.
#[derive(Debug)]
#[must_use = "the memory is given back as soon as the reservation is dropped"]
pub struct Reservation {
    _kib: OwnedSemaphorePermit,
}

/// Why no memory was reserved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// Other documents hold the budget; come back after `retry_after`.
    #[error("the decoding budget is in use; retry after {retry_after:?}")]
    Busy { retry_after: Duration },
}

impl DecodeBudget {
    /// A budget of `capacity` bytes (whole KiB, at most 4 TiB); a reservation waits at most
    /// `wait` for memory to be given back.
    pub fn new(capacity: u64, wait: Duration) -> Self {
        let capacity_kib = u32::try_from(capacity / KIB).unwrap_or(u32::MAX);
        Self {
            kib: Arc::new(Semaphore::new(capacity_kib as usize)),
            capacity_kib,
            wait,
        }
    }

    /// The budget's size in bytes.
    pub fn capacity(&self) -> u64 {
        u64::from(self.capacity_kib) * KIB
    }

    /// Reserves `bytes` — the whole budget when they are more — waiting for others to give
    /// memory back for at most the budget's wait.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, BudgetError> {
        let kib = u32::try_from(bytes.div_ceil(KIB))
            .unwrap_or(u32::MAX)
            .min(self.capacity_kib);
        let busy = BudgetError::Busy {
            retry_after: self.wait,
        };
        match tokio::time::timeout(self.wait, self.kib.clone().acquire_many_owned(kib)).await {
            Ok(Ok(permit)) => Ok(Reservation { _kib: permit }),
            // Timed out; the semaphore is never closed.
            Err(_) | Ok(Err(_)) => Err(busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * KIB;

    #[tokio::test]
    async fn reservations_share_the_budget_and_give_it_back_when_dropped() {
        let budget = DecodeBudget::new(10 * MIB, Duration::from_millis(50));
        let first = budget.reserve(6 * MIB).await.unwrap();
        let second = budget.reserve(4 * MIB).await.unwrap();
        assert_eq!(
            budget.reserve(1).await.unwrap_err(),
            BudgetError::Busy {
                retry_after: Duration::from_millis(50)
            }
        );
        drop(second);
        let third = budget.reserve(4 * MIB).await.unwrap();
        drop((first, third));
        let _whole = budget.reserve(10 * MIB).await.unwrap();
    }

    #[tokio::test]
    async fn a_waiting_reservation_gets_the_memory_given_back_meanwhile() {
        let budget = DecodeBudget::new(MIB, Duration::from_secs(5));
        let held = budget.reserve(MIB).await.unwrap();
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(MIB).await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        waiting.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_document_larger_than_the_whole_budget_is_read_alone() {
        let budget = DecodeBudget::new(MIB, Duration::from_millis(50));
        let alone = budget.reserve(MIB + 1).await.unwrap();
        assert!(budget.reserve(1).await.is_err(), "nothing beside it");
        drop(alone);
        let small = budget.reserve(KIB).await.unwrap();
        assert_eq!(
            budget.reserve(u64::MAX).await.unwrap_err(),
            BudgetError::Busy {
                retry_after: Duration::from_millis(50)
            }
        );
        drop(small);
        let _whole = budget.reserve(u64::MAX).await.unwrap();
    }
}
