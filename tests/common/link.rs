//! A TCP relay between the gateway and the receiver that can stop passing the receiver's
//! answers back: the national DB gets and stores a delivery and the gateway never hears of it,
//! as when the gateway dies, or the network fails, between the two.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Receiver;

pub struct Link {
    port: u16,
    swallow: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Link {
    /// A relay to `receiver` on a port of its own, passing everything both ways.
    pub fn to(receiver: &Receiver) -> Self {
        let upstream = receiver
            .base
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let swallow = Arc::new(AtomicBool::new(false));
        let flag = swallow.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let swallow = flag.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let ask = tokio::io::copy(&mut client_read, &mut server_write);
                    let answer = async {
                        let mut buffer = vec![0u8; 16 * 1024];
                        loop {
                            let n = server_read.read(&mut buffer).await.unwrap_or(0);
                            if n == 0 {
                                break;
                            }
                            if !swallow.load(Ordering::SeqCst)
                                && client_write.write_all(&buffer[..n]).await.is_err()
                            {
                                break;
                            }
                        }
                    };
                    tokio::select! {
                        _ = ask => {}
                        _ = answer => {}
                    }
                });
            }
        });
        Self {
            port,
            swallow,
            task,
        }
    }

    /// The delivery endpoint through the relay, with the host name the development server
    /// certificate names.
    pub fn endpoint(&self) -> String {
        format!("https://localhost:{}/v1/deliveries", self.port)
    }

    /// From now on the receiver's answers are dropped (`true`) or passed again (`false`).
    pub fn swallow_answers(&self, swallow: bool) {
        self.swallow.store(swallow, Ordering::SeqCst);
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}
