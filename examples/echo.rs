//! An echo server on the reference implementation:
//! `cargo run --example echo`, then `nc 127.0.0.1 7000`.
use nodecompat::net::{self, Emits, ListenOptions, ServerEventKind, ServerOptions};

#[async_std::main]
async fn main() -> Result<(), net::Error> {
    let server = net::create_server(ServerOptions::default(), |socket| {
        // The listener gets the socket as Node's `this`: no clone to hold.
        socket.on_data(|this, chunk| {
            this.write(chunk.as_bytes());
        });
    });
    server.listen(ListenOptions::port_host(7000, "127.0.0.1"))?;
    println!("echoing on 127.0.0.1:7000");
    server.next(ServerEventKind::Close).await;
    Ok(())
}
