//! One stop signal for every poller, so that shutdown is prompt even mid long-poll.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

pub struct Signal(watch::Sender<bool>);

#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

pub fn channel() -> (Signal, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (Signal(sender), Shutdown(receiver))
}

impl Signal {
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the platform stops.
    pub async fn wait(&self) {
        let mut receiver = self.0.clone();
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }

    /// Sleeps, answering `false` if the platform stopped meanwhile.
    pub async fn sleep(&self, duration: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(duration) => !self.is_set(),
            _ = self.wait() => false,
        }
    }

    /// Runs `work` unless the platform stops first (`None`).
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            result = work => Some(result),
            _ = self.wait() => None,
        }
    }
}
