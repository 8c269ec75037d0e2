//! gRPC calls in the request series: how a call is told apart from an HTTP request, and which
//! status code it ended with, as the OpenTelemetry RPC conventions name it.
//!
//! A request whose `content-type` is `application/grpc` (or `application/grpc+proto`, …) is a
//! gRPC call. Its series is `rpc_server_call_duration_seconds`, labelled with the name of its
//! gRPC status code (`NOT_FOUND`), read in this order:
//!
//! 1. `grpc-status` in the response head (a trailers-only answer);
//! 2. an HTTP status other than 200, mapped as the gRPC protocol maps it for clients (404 is
//!    `UNIMPLEMENTED`, 503 is `UNAVAILABLE`, …);
//! 3. `grpc-status` in the trailers;
//! 4. none of those: `CANCELLED` when the call was dropped before it ended, else `UNKNOWN`
//!    (the server failed or its stream ended without a status).
//!
//! A call that carried no `grpc-status` at all (cases 2 and 4) failed as its client sees it,
//! whatever a classifier that reads only `grpc-status` says (tower-http's would call a proxy's
//! 503 a success): it is bad for the SLOs, unless it was cancelled.

use http::HeaderMap;

/// The names of the gRPC status codes, indexed by code.
pub(crate) const CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The method index of a gRPC call's request series, whose status is then its gRPC code: an
/// index no HTTP method has.
pub(crate) const RPC: u8 = u8::MAX;

/// `CANCELLED`: a call dropped before it ended.
pub(crate) const CANCELLED: u16 = 1;
/// `UNKNOWN`: a call that ended without a status, and any code past the known ones.
pub(crate) const UNKNOWN: u16 = 2;
/// No status seen yet.
pub(crate) const NO_CODE: u16 = u16::MAX;
/// Set on a code read from the HTTP status rather than from a `grpc-status`.
pub(crate) const FROM_HTTP: u16 = 0x100;

/// Whether a call's code came from a `grpc-status` it carried.
pub(crate) fn carried_status(code: u16) -> bool {
    code != NO_CODE && code & FROM_HTTP == 0
}

/// Whether a request is a gRPC call: its content type is `application/grpc`, alone or with a
/// `+format` or `;parameters` after it.
#[inline]
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| is_grpc_content_type(v.as_bytes()))
}

fn is_grpc_content_type(value: &[u8]) -> bool {
    const GRPC: &[u8] = b"application/grpc";
    value.len() >= GRPC.len()
        && value[..GRPC.len()].eq_ignore_ascii_case(GRPC)
        && matches!(value.get(GRPC.len()), None | Some(b'+' | b';'))
}

/// The code of a `grpc-status` among `headers`, if there is one. A value that is not a
/// number, or a number past the known codes, is `UNKNOWN`, as gRPC clients read it.
#[inline]
pub(crate) fn status_in(headers: &HeaderMap) -> Option<u16> {
    headers.get("grpc-status").map(|v| parse_code(v.as_bytes()))
}

fn parse_code(value: &[u8]) -> u16 {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.trim().parse::<u16>().ok())
        .filter(|code| usize::from(*code) < CODE_NAMES.len())
        .unwrap_or(UNKNOWN)
}

/// The code a gRPC client reads from an HTTP status other than 200 without a `grpc-status`
/// (the gRPC protocol's mapping), marked [`FROM_HTTP`]; `None` for 200, whose code comes with
/// the trailers.
pub(crate) fn from_http_status(status: u16) -> Option<u16> {
    from_http(status).map(|code| code | FROM_HTTP)
}

fn from_http(status: u16) -> Option<u16> {
    Some(match status {
        200 => return None,
        400 => 13,             // INTERNAL
        401 => 16,             // UNAUTHENTICATED
        403 => 7,              // PERMISSION_DENIED
        404 => 12,             // UNIMPLEMENTED
        429 | 502..=504 => 14, // UNAVAILABLE
        _ => UNKNOWN,
    })
}

/// The name of gRPC code `code` (`UNKNOWN` past the known ones), wherever it was read from.
pub(crate) fn code_name(code: u16) -> &'static str {
    CODE_NAMES
        .get(usize::from(code & !FROM_HTTP))
        .copied()
        .unwrap_or(CODE_NAMES[usize::from(UNKNOWN)])
}

/// The `rpc_method` label of an operation: the path without its leading `/`
/// (`package.Service/Method`), and `_OTHER`, as the conventions name it, for every call the
/// layer did not count as a method of the service.
pub(crate) fn method_label(operation: &str) -> &str {
    if operation == sloguard_core::model::OTHER_OPERATION {
        return "_OTHER";
    }
    operation.strip_prefix('/').unwrap_or(operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_content_types_are_told_from_others() {
        for yes in [
            "application/grpc",
            "application/grpc+proto",
            "application/grpc;charset=utf-8",
            "Application/GRPC",
        ] {
            assert!(is_grpc_content_type(yes.as_bytes()), "{yes}");
        }
        for no in [
            "application/grpc-web",
            "application/grpcx",
            "application/json",
            "",
        ] {
            assert!(!is_grpc_content_type(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn codes_are_read_by_number_and_named() {
        assert_eq!(CODE_NAMES[usize::from(parse_code(b"5"))], "NOT_FOUND");
        assert_eq!(CODE_NAMES[usize::from(parse_code(b"0"))], "OK");
        assert_eq!(
            CODE_NAMES[usize::from(parse_code(b"16"))],
            "UNAUTHENTICATED"
        );
        for odd in [&b"17"[..], b"-1", b"x", b"", b"300"] {
            assert_eq!(parse_code(odd), UNKNOWN);
        }
        assert_eq!(from_http_status(200), None);
        assert!(!carried_status(from_http_status(503).unwrap_or(0)));
        assert!(carried_status(parse_code(b"14")) && !carried_status(NO_CODE));
        assert_eq!(code_name(from_http_status(503).unwrap_or(0)), "UNAVAILABLE");
        assert_eq!(from_http_status(404).map(code_name), Some("UNIMPLEMENTED"));
        assert_eq!(from_http_status(503).map(code_name), Some("UNAVAILABLE"));
        assert_eq!(from_http_status(500), Some(UNKNOWN | FROM_HTTP));
        assert_eq!(
            method_label("/grpc.health.v1.Health/Check"),
            "grpc.health.v1.Health/Check"
        );
        assert_eq!(
            method_label(sloguard_core::model::OTHER_OPERATION),
            "_OTHER"
        );
        assert_eq!(code_name(99), "UNKNOWN");
    }
}
