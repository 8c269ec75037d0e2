//! The standalone exposition listener out of file descriptors: accepting fails while the
//! listener stays readable, and it pauses instead of spinning at 100% CPU; it serves again
//! once descriptors are free. (A file of its own: it lowers the whole process's limit.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use sloguard::expose;
use sloguard::model::Slo;
use sloguard::Registry;
use sloguard_e2e::{wait_until_blocking, PATIENCE};

/// The `stat` file of this process's thread called `name`, opened now so that reading it
/// later needs no new file descriptor. A new thread names itself once it runs: this waits
/// for the name.
fn thread_stat(name: &str) -> std::fs::File {
    let find = || {
        std::fs::read_dir("/proc/self/task")
            .expect("/proc")
            .filter_map(|task| task.ok().map(|t| t.path()))
            .find(|task| {
                std::fs::read_to_string(task.join("comm")).is_ok_and(|comm| comm.trim() == name)
            })
    };
    let task = wait_until_blocking(
        PATIENCE,
        &format!("a thread named {name}"),
        find,
        Option::is_some,
    )
    .expect("found");
    std::fs::File::open(task.join("stat")).expect("stat")
}

/// CPU time (user and system) in clock ticks, from a thread's `stat` file.
fn cpu_ticks(stat: &mut std::fs::File) -> u64 {
    use std::io::Seek;
    stat.rewind().expect("rewind");
    let mut text = String::new();
    stat.read_to_string(&mut text).expect("stat");
    // Fields after the command's closing parenthesis: utime and stime are 14 and 15.
    let fields: Vec<u64> = text
        .rsplit_once(')')
        .expect("a stat line")
        .1
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    fields[11] + fields[12]
}

/// Sets this process's soft limit on open files.
fn limit_open_files(soft: &str, hard: &str) {
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={soft}:{hard}"))
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit failed");
}

#[test]
fn out_of_file_descriptors_it_pauses_instead_of_spinning() {
    let registry = Registry::builder("worker").build();
    registry
        .register(Slo::availability("jobs").build().expect("valid"))
        .expect("ok");
    let server = expose::serve_on(&registry, "127.0.0.1:0".parse().expect("addr")).expect("binds");
    let addr = server.local_addr();
    // (The thread's name, as the kernel keeps it: 15 bytes.)
    let mut stat = thread_stat("sloguard-exposi");
    let limits = std::fs::read_to_string("/proc/self/limits").expect("limits");
    let hard = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(4))
        .expect("the hard limit")
        .to_owned();
    let open = std::fs::read_dir("/proc/self/fd").expect("fds").count() as u64;
    // Room for a few connections: the clients' ends and the first accepted ones use it up,
    // and the server's next accepts fail with "too many open files" while clients wait.
    limit_open_files(&(open + 6).to_string(), &hard);
    let mut clients = Vec::new();
    for _ in 0..12 {
        match TcpStream::connect(addr) {
            Ok(stream) => clients.push(stream),
            Err(_) => break,
        }
    }
    let before = cpu_ticks(&mut stat);
    let window = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(&mut stat) - before;
    let elapsed_ticks = window.elapsed().as_millis() as u64 / 10; // 100 ticks a second
    limit_open_files(&hard, &hard);
    drop(clients);
    assert!(
        used * 5 < elapsed_ticks,
        "the listener used {used} of {elapsed_ticks} ticks while out of descriptors: it spins"
    );
    // And it serves again once descriptors are free.
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .write_all(b"GET /slo.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("writes");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    drop(server);
}
