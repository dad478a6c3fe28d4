//! Integration tests: the real router on a real loopback socket, driven over HTTP, against the mock
//! provider and against fake upstream servers of the tests' own. One binary keeps link time down.

mod support;

mod access;
mod anthropic_provider;
mod credentials;
mod dashboard;
mod errors;
mod front_doors;
mod lifecycle;
mod logs;
mod mock_extras;
mod mock_provider;
mod observe;
mod provider_kinds;
mod proxy;
mod reload;
mod routing;
mod security;
