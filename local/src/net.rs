//! What every server of the platform does with its connections.

use axum::serve::{ListenerExt, TapIo};
use tokio::net::{TcpListener, TcpStream};

/// The listener with Nagle's algorithm off on every connection: a response written in two
/// parts (a proxied body after its head) would otherwise wait for the peer's delayed ACK,
/// 40 ms on Linux, on every request.
pub fn without_delay(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(no_delay as fn(&mut TcpStream))
}

fn no_delay(connection: &mut TcpStream) {
    if let Err(error) = connection.set_nodelay(true) {
        tracing::debug!(%error, "TCP_NODELAY refused");
    }
}
