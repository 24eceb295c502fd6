//! The address a request comes from, resolved once per request, for the throttles only: it
//! lives in memory and is never stored or logged (PRODUCT §4).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::error::WebError;
use super::state::AppState;
use super::throttle::address_key;

/// The client's address: the TCP peer, or behind a reverse proxy (`--behind-proxy`) the
/// address the proxy appended last to `X-Forwarded-For`; an IPv6 address as its /64 (see
/// [`address_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The address of a request from `peer` with `headers`.
    pub fn resolve(peer: SocketAddr, headers: &HeaderMap, behind_proxy: bool) -> ClientAddress {
        let forwarded = || {
            let last = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .next_back()?;
            last.trim().parse::<IpAddr>().ok()
        };
        let address = if behind_proxy {
            forwarded().unwrap_or(peer.ip())
        } else {
            peer.ip()
        };
        ClientAddress(address_key(address))
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(address) = parts.extensions.get::<ClientAddress>() {
            return Ok(*address);
        }
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or(WebError::Internal)?;
        let address = ClientAddress::resolve(peer, &parts.headers, state.security.behind_proxy);
        parts.extensions.insert(address);
        Ok(address)
    }
}
