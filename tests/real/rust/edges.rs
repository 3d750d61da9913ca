// Rust std behaviours that lean on the kernel's memory and network model, one
// per mode, each run under shoal and natively (Linux is the oracle):
//
//   edges loopback   TCP and UDP between two sockets of the same process on
//                    127.0.0.1, with no network device
//   edges overflow   a thread overflows its 64 KiB stack: std's guard page
//                    faults, its SIGSEGV handler prints "has overflowed its
//                    stack" and aborts (exit 134), never a silent overrun
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::thread;

fn loopback() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    let c = thread::spawn(move || {
        let mut s = TcpStream::connect(a).unwrap();
        s.write_all(b"ping").unwrap();
        let mut b = [0u8; 4];
        s.read_exact(&mut b).unwrap();
        String::from_utf8_lossy(&b).into_owned()
    });
    let (mut s, _) = l.accept().unwrap();
    let mut b = [0u8; 4];
    s.read_exact(&mut b).unwrap();
    s.write_all(b"pong").unwrap();
    println!("tcp {} {}", String::from_utf8_lossy(&b), c.join().unwrap());
    let u1 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let u2 = UdpSocket::bind("127.0.0.1:0").unwrap();
    u1.send_to(b"dgram", u2.local_addr().unwrap()).unwrap();
    let mut ub = [0u8; 8];
    let (n, from) = u2.recv_from(&mut ub).unwrap();
    println!("udp {} from the sender {}", String::from_utf8_lossy(&ub[..n]), from == u1.local_addr().unwrap());
}

fn rec(n: u64) -> u64 {
    let a = [n; 64];
    if n == 0 { 0 } else { rec(n - 1).wrapping_add(a[(n % 64) as usize]) }
}

fn overflow() {
    println!("overflowing");
    let h = thread::Builder::new().stack_size(64 << 10).spawn(|| rec((1u64 << 40) + std::env::args().count() as u64)).unwrap();
    println!("joined {:?}", h.join().is_ok()); // not reached: the process aborts
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("loopback") => loopback(),
        Some("overflow") => overflow(),
        _ => {
            eprintln!("usage: edges loopback|overflow");
            std::process::exit(2);
        }
    }
}
