//! What one client can hold of the local server (docs/API.md, "Running"): header, body and
//! idle timeouts, the connection cap, accept errors with no file descriptors left, and the
//! shutdown deadline. Each runs the binary; most with shortened limits, one with the defaults.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helpers::cancel_body;
use crate::helpers::process::{start_binary, start_binary_with_fd_limit, Running};

const DEMO_ID: &str = "lce-00000000-0000-4000-8000-000000000001";

fn connect(running: &Running) -> TcpStream {
    let stream = TcpStream::connect(&running.address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    stream
}

/// Reads until the server closes; `None` if it was still open after `within`.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    stream
        .set_read_timeout(Some(within))
        .expect("a read timeout");
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(String::from_utf8_lossy(&seen).into_owned()),
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(String::from_utf8_lossy(&seen).into_owned())
            }
            Err(_) => return None,
        }
    }
}

fn get_request() -> String {
    format!("GET /GetLifecycleExecution?lifecycleExecutionId={DEMO_ID} HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

#[test]
fn a_client_that_sends_half_a_request_line_is_disconnected_unanswered_after_the_header_timeout() {
    let running = start_binary(&[("LOCAL_HEADER_TIMEOUT_MS", "300")]);
    let mut silent = connect(&running);
    let mut half = connect(&running);
    half.write_all(b"GET /GetLifecycle").expect("writes");

    assert_eq!(
        read_until_closed(&mut silent, Duration::from_secs(10)),
        Some(String::new())
    );
    assert_eq!(
        read_until_closed(&mut half, Duration::from_secs(10)),
        Some(String::new())
    );
}

#[test]
fn with_the_default_limits_a_stalled_client_is_disconnected_after_ten_seconds() {
    let running = start_binary(&[]);
    let mut half = connect(&running);
    half.write_all(b"PUT /CancelLifecycleExecution HT")
        .expect("writes");
    let started = Instant::now();

    let closed = read_until_closed(&mut half, Duration::from_secs(30));

    assert_eq!(closed, Some(String::new()), "closed without an answer");
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "closed after {:?}, before the documented 10 s",
        started.elapsed()
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let running = start_binary(&[("LOCAL_HEADER_TIMEOUT_MS", "300")]);
    let mut client = connect(&running);
    client.write_all(get_request().as_bytes()).expect("writes");

    let seen = read_until_closed(&mut client, Duration::from_secs(10)).expect("closed");

    assert!(seen.starts_with("HTTP/1.1 200 OK"), "{seen}");
}

#[test]
fn a_body_that_stalls_is_refused_after_the_body_timeout_and_the_connection_closed() {
    let running = start_binary(&[("LOCAL_BODY_TIMEOUT_MS", "300")]);
    let mut client = connect(&running);
    client
        .write_all(b"PUT /CancelLifecycleExecution HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .expect("writes");

    let seen = read_until_closed(&mut client, Duration::from_secs(10)).expect("closed");

    assert!(seen.starts_with("HTTP/1.1 400 Bad Request"), "{seen}");
    assert!(seen
        .to_ascii_lowercase()
        .contains("x-amzn-errortype: invalidrequestexception"));
    assert!(seen.contains("did not arrive within 0.3 seconds"), "{seen}");
}

#[test]
fn at_the_connection_cap_a_new_connection_waits_unanswered_until_one_closes() {
    let running = start_binary(&[("LOCAL_MAX_CONNECTIONS", "2")]);
    let held: Vec<TcpStream> = (0..2).map(|_| connect(&running)).collect();
    // Both are accepted (a request on each proves it) and stay open.
    for mut stream in held.iter() {
        stream.write_all(get_request().as_bytes()).expect("writes");
        let mut head = [0_u8; 12];
        stream.read_exact(&mut head).expect("an answer");
        assert_eq!(&head, b"HTTP/1.1 200");
    }
    let mut waiting = connect(&running);
    waiting
        .write_all(get_request().as_bytes())
        .expect("the backlog takes it");
    waiting
        .set_read_timeout(Some(Duration::from_millis(700)))
        .expect("a read timeout");
    let mut byte = [0_u8; 1];
    assert!(
        waiting.read(&mut byte).is_err(),
        "no answer is invented at the cap"
    );

    drop(held);

    waiting
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let mut head = [0_u8; 12];
    waiting
        .read_exact(&mut head)
        .expect("answered once a slot is free");
    assert_eq!(&head, b"HTTP/1.1 200");
}

#[test]
fn sigterm_with_a_client_stalled_mid_body_exits_by_the_shutdown_deadline() {
    let mut running = start_binary(&[
        ("LOCAL_BODY_TIMEOUT_MS", "20000"),
        ("LOCAL_SHUTDOWN_DEADLINE_MS", "500"),
    ]);
    let mut stalled = connect(&running);
    let body = cancel_body("stalled", DEMO_ID);
    stalled
        .write_all(
            format!(
                "PUT /CancelLifecycleExecution HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{}",
                body.len(),
                &body[..5]
            )
            .as_bytes(),
        )
        .expect("writes");
    std::thread::sleep(Duration::from_millis(200));

    running.terminate();

    let exit = running.exit_within(Duration::from_secs(10));
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}");
}

#[test]
fn with_no_file_descriptors_left_accepts_back_off_and_log_at_most_about_once_a_second() {
    let log = std::env::temp_dir().join(format!("fd-limit-{}.log", std::process::id()));
    let running = start_binary_with_fd_limit(&[("LOCAL_MAX_CONNECTIONS", "1000")], 48, &log);
    let held: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(&running.address).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(2500));

    let text = std::fs::read_to_string(&log).expect("the log");
    let failures = text.lines().filter(|l| l.contains("accept failed")).count();
    assert!(
        (1..=4).contains(&failures),
        "{failures} accept-failure lines in 2.5 s ({} bytes of log)",
        text.len()
    );
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let mut client = connect(&running);
    client.write_all(get_request().as_bytes()).expect("writes");
    let mut head = [0_u8; 12];
    client.read_exact(&mut head).expect("answered again");
    assert_eq!(&head, b"HTTP/1.1 200");
    let _ = std::fs::remove_file(&log);
}

/// One descriptor per connection: with 64 descriptors, 80 callers stalled in their request
/// line fill what the process can accept; once the first header timeout has closed those it
/// took, a caller who arrives then is accepted with the rest of the crowd and answered before a
/// second header timeout could have passed. (With two descriptors a connection, half as many fit
/// and it waited behind a second stalled batch for a whole header timeout.)
#[test]
fn with_64_descriptors_a_caller_after_a_stalled_crowd_is_answered_before_a_second_header_timeout() {
    let header_timeout = Duration::from_millis(1500);
    let log = std::env::temp_dir().join(format!("stalled-crowd-{}.log", std::process::id()));
    let timeout_ms = header_timeout.as_millis().to_string();
    let running = start_binary_with_fd_limit(
        &[
            ("LOCAL_HEADER_TIMEOUT_MS", timeout_ms.as_str()),
            ("LOCAL_MAX_CONNECTIONS", "1000"),
        ],
        64,
        &log,
    );
    let mut stalled: Vec<TcpStream> = (0..80)
        .map(|_| {
            let mut caller = connect(&running);
            caller.write_all(b"GET /GetLifecycle").expect("writes");
            caller
        })
        .collect();

    // The first caller was accepted first: its close is the first header timeout.
    let closed = read_until_closed(&mut stalled[0], Duration::from_secs(30));
    let first_timeout_passed = Instant::now();
    assert_eq!(closed, Some(String::new()), "closed unanswered");
    let mut fresh = connect(&running);
    fresh.write_all(get_request().as_bytes()).expect("writes");
    let mut head = [0_u8; 12];
    fresh.read_exact(&mut head).expect("answered");
    let answered_after = first_timeout_passed.elapsed();

    // RELIABILITY.md's figure: `cargo test --test api with_64_descriptors -- --nocapture`.
    eprintln!("answered {answered_after:?} after the first header timeout");
    assert_eq!(&head, b"HTTP/1.1 200");
    assert!(
        answered_after < header_timeout,
        "answered {answered_after:?} after the first header timeout: it waited for a second one"
    );
    drop(stalled);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn a_request_with_many_headers_still_gets_a_documented_answer_with_its_request_id() {
    let running = start_binary(&[]);
    let mut client = connect(&running);
    let extra: String = (0..101).map(|n| format!("X-Extra-{n}: {n}\r\n")).collect();
    let request = format!(
        "PUT /CancelLifecycleExecution HTTP/1.1\r\nHost: localhost\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    client.write_all(request.as_bytes()).expect("writes");

    let seen = read_until_closed(&mut client, Duration::from_secs(10)).expect("closed");

    assert!(seen.starts_with("HTTP/1.1 400 Bad Request"), "{seen}");
    let lower = seen.to_ascii_lowercase();
    assert!(lower.contains("x-amzn-requestid: "), "{seen}");
    assert!(
        lower.contains("x-amzn-errortype: clientexception"),
        "{seen}"
    );
}

/// A client that pipelines requests and never reads the answers, through a tiny receive buffer.
fn slow_reader(running: &Running) -> TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    socket
        .set_recv_buffer_size(2048)
        .expect("a small receive buffer");
    let address: std::net::SocketAddr = running.address.parse().expect("an address");
    socket.connect(&address.into()).expect("connects");
    let mut stream: TcpStream = socket.into();
    stream
        .set_write_timeout(Some(Duration::from_millis(200)))
        .expect("a write timeout");
    let requests = get_request().repeat(200);
    // Send until the server stops reading (its answers fill both buffers): a write times out.
    for _ in 0..500 {
        if stream.write_all(requests.as_bytes()).is_err() {
            break;
        }
    }
    stream
}

#[test]
fn clients_that_never_read_their_answers_are_disconnected_and_a_fresh_caller_is_answered() {
    let running = start_binary(&[
        ("LOCAL_MAX_CONNECTIONS", "2"),
        ("LOCAL_WRITE_TIMEOUT_MS", "500"),
    ]);
    let mut holding: Vec<TcpStream> = (0..2).map(|_| slow_reader(&running)).collect();

    let mut fresh = connect(&running);
    fresh
        .write_all(get_request().as_bytes())
        .expect("the backlog takes it");
    let mut head = [0_u8; 12];
    fresh
        .read_exact(&mut head)
        .expect("answered once a write timeout frees a slot");
    assert_eq!(&head, b"HTTP/1.1 200");
    for stream in holding.iter_mut() {
        assert!(
            read_until_closed(stream, Duration::from_secs(20)).is_some(),
            "the slow reader's connection was closed"
        );
    }
}
