//! What every request handler can reach.

use std::sync::{Arc, Mutex};

use rand::distr::{Alphanumeric, SampleString};
use subtle::ConstantTimeEq;

use super::activity::Activity;
use super::device_cookie::DeviceCookies;
use super::form_token::FormTokens;
use super::pending_sign_in::PendingSignIns;
use super::throttle::{SignInThrottle, TokenThrottle, UnlockThrottle};
use crate::config::{InvitationConfig, SecurityConfig};
use crate::store::Store;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Cookie and session settings.
    pub security: SecurityConfig,
    /// The one-time first-run link, while no account exists.
    pub setup: Arc<SetupLink>,
    /// Failed sign-ins (and current-password checks).
    pub throttle: Arc<SignInThrottle>,
    /// CSRF tokens for forms shown without a session (sign-in, setup, the client view).
    pub form_tokens: FormTokens,
    /// Device cookies: a browser that signed in before is trusted by the sign-in throttle.
    pub device_cookies: DeviceCookies,
    /// Sign-ins waiting for their second step.
    pub pending_sign_ins: PendingSignIns,
    /// Seals clinicians' TOTP secrets at rest.
    pub two_factor_key: crate::two_factor::SealingKey,
    /// Counts of requests not logged one by one (screening submissions).
    pub activity: Arc<Activity>,
    /// Invitation settings (PRODUCT §6).
    pub invitations: InvitationConfig,
    /// Unknown client tokens, by address.
    pub client_throttle: Arc<TokenThrottle>,
    /// Wrong passwords to unlock a handed-over device, by session.
    pub unlock_throttle: Arc<UnlockThrottle>,
}

impl AppState {
    /// State for a server on `store`. When no account exists yet, a one-time setup token is
    /// made; [`AppState::setup_token`] gives it to print.
    pub async fn new(
        store: Store,
        security: SecurityConfig,
    ) -> Result<AppState, crate::store::StoreError> {
        let setup = if store.count_clinicians().await? == 0 {
            SetupLink::fresh()
        } else {
            SetupLink::default()
        };
        // Make the decoy hash now, so that the first sign-in of an unknown username takes no
        // longer than any other.
        let _ = crate::accounts::off_runtime(|| {
            crate::accounts::PasswordHash::decoy();
        })
        .await;
        let form_tokens = FormTokens::with_key(
            store.server_key(crate::store::FORM_TOKEN_KEY).await?,
            security.secure_cookies,
        );
        let device_cookies = DeviceCookies::with_key(
            store.server_key(crate::store::DEVICE_COOKIE_KEY).await?,
            security.secure_cookies,
        );
        let pending_sign_ins = PendingSignIns::with_key(
            store.server_key(crate::store::PENDING_SIGN_IN_KEY).await?,
            security.secure_cookies,
        );
        let two_factor_key = crate::two_factor::SealingKey::new(
            store.server_key(crate::store::TWO_FACTOR_KEY).await?,
        );
        let throttle = Arc::new(SignInThrottle::for_store(&store).await?);
        Ok(AppState {
            store,
            security,
            setup: Arc::new(setup),
            throttle,
            form_tokens,
            device_cookies,
            pending_sign_ins,
            two_factor_key,
            activity: Arc::default(),
            invitations: InvitationConfig::default(),
            client_throttle: Arc::default(),
            unlock_throttle: Arc::default(),
        })
    }

    /// The same state with these invitation settings.
    pub fn with_invitations(mut self, invitations: InvitationConfig) -> AppState {
        self.invitations = invitations;
        self
    }

    /// The first-run setup token, while it is still valid.
    pub fn setup_token(&self) -> Option<String> {
        self.setup
            .token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// The first-run setup token: valid until the first account is made.
#[derive(Debug, Default)]
pub struct SetupLink {
    token: Mutex<Option<String>>,
}

impl SetupLink {
    fn fresh() -> SetupLink {
        SetupLink {
            token: Mutex::new(Some(Alphanumeric.sample_string(&mut rand::rng(), 32))),
        }
    }

    /// True when `offered` is the live setup token.
    pub fn matches(&self, offered: &str) -> bool {
        let token = self
            .token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        token
            .as_deref()
            .is_some_and(|token| bool::from(token.as_bytes().ct_eq(offered.as_bytes())))
    }

    /// Ends the token's life.
    pub fn consume(&self) {
        *self
            .token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}
