//! HTTP clients of the tests: in-process through the router, a library client for
//! well-formed requests over TCP, and raw bytes for what a library client cannot send.

use bytes::Bytes;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::CancelStore;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt;

/// What a test reads from a response.
#[derive(Debug)]
pub struct Received {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("every body is JSON")
    }

    /// Asserts the documented error shape (docs/API.md, "Errors"), exactly.
    pub fn assert_error(&self, status: u16, name: &str, message: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("x-amzn-ErrorType"), Some(name), "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert!(self
            .header("x-amzn-RequestId")
            .is_some_and(|id| !id.is_empty()));
        assert_eq!(
            self.json(),
            serde_json::json!({ "__type": name, "message": message }),
            "{self:?}"
        );
        assert_eq!(self.json().as_object().map(|o| o.len()), Some(2));
    }

    pub fn assert_success(&self, id: &str) {
        assert_eq!(self.status, 200, "{self:?}");
        assert_eq!(self.header("x-amzn-ErrorType"), None);
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert!(self
            .header("x-amzn-RequestId")
            .is_some_and(|id| !id.is_empty()));
        assert_eq!(self.body, crate::helpers::success_body(id));
    }
}

/// Runs one request through the app's router, in process, and reads the response.
pub async fn call<S: CancelStore, B>(app: &App<S>, request: http::Request<B>) -> Received
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = match app
        .router()
        .oneshot(request.map(axum::body::Body::new))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    };
    read(response).await
}

/// Reads a response whole.
pub async fn read<B>(response: http::Response<B>) -> Received
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("a readable body").to_bytes();
    Received {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

/// A request as the local server hands it over: no request context.
pub fn plain(method: &str, path: &str, body: &str) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("valid test request")
}

/// One well-formed request over TCP with a library HTTP client (a fresh connection each time).
pub async fn send(base_url: &str, method: &str, path: &str, body: &str) -> Received {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{base_url}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("valid test request");
    let response = client
        .request(request)
        .await
        .unwrap_or_else(|e| panic!("{method} {base_url}{path}: {e}"));
    read(response).await
}

/// One HTTP/1.1 exchange over a raw socket (`Connection: close`), parsed plainly: for bytes a
/// library client would not send, and for answers it would not accept.
pub async fn http_exchange(address: &str, method: &str, path: &str, body: &[u8]) -> Received {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .unwrap_or_else(|e| panic!("connecting to {address}: {e}"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("writing the head");
    // The server may answer (and close) before reading a refused body whole.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("reading the answer");
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut headers = http::HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.append(
                http::HeaderName::from_bytes(name.trim().as_bytes()).expect("header name"),
                value.trim().parse().expect("header value"),
            );
        }
    }
    Received {
        status,
        headers,
        body: body.to_owned(),
    }
}
