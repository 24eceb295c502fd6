//! The pre-rendered blank form: the page every screening starts from, rendered once per kind
//! of account and served by filling in each request's username and CSRF token.

use askama::Template;

use super::{FormPage, Submitted};
use crate::web::plumbing::identity::SignedIn;

/// Where each request's username goes in the pre-rendered blank form (see [`blank_form`]).
/// Usernames are lowercase, so this can be no one's.
const USERNAME_SLOT: &str = "@@USERNAME@@";
/// Where each request's CSRF token goes in the pre-rendered blank form.
const TOKEN_SLOT: &str = "@@CSRF-TOKEN@@";

/// A piece of the pre-rendered blank form.
enum Piece {
    Text(String),
    Username,
    Token,
}

/// The blank form for this clinician: the page every screening starts from, rendered once per
/// kind of account (with or without the administrator's links) with slots where each
/// request's username and CSRF token go, then served by filling them in. The same bytes as
/// `FormPage::new(signed_in, &Submitted::default(), None)` renders, at a fraction of the cost.
pub fn blank_form(signed_in: &SignedIn) -> Result<axum::response::Html<String>, askama::Error> {
    static BLANKS: [std::sync::OnceLock<Vec<Piece>>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let slot = &BLANKS[usize::from(signed_in.is_admin)];
    let pieces = match slot.get() {
        Some(pieces) => pieces,
        None => {
            let mut page = FormPage::new(signed_in, &Submitted::default(), None);
            page.csrf_token = TOKEN_SLOT.to_owned();
            if let Some(account) = &mut page.layout.account {
                account.username = USERNAME_SLOT.to_owned();
                account.csrf_token = TOKEN_SLOT.to_owned();
            }
            slot.get_or_init(|| pieces_of(&page.render().unwrap_or_default()));
            match slot.get() {
                Some(pieces) if !pieces.is_empty() => pieces,
                _ => return Err(askama::Error::Fmt),
            }
        }
    };
    let username = escape_html(signed_in.username.as_str());
    let token = escape_html(&signed_in.csrf_token);
    let mut html = String::with_capacity(
        pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.len(),
                Piece::Username => username.len(),
                Piece::Token => token.len(),
            })
            .sum(),
    );
    for piece in pieces {
        html.push_str(match piece {
            Piece::Text(text) => text,
            Piece::Username => &username,
            Piece::Token => &token,
        });
    }
    Ok(axum::response::Html(html))
}

/// Splits rendered HTML at the slots.
fn pieces_of(mut html: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    loop {
        let next = [(USERNAME_SLOT, Piece::Username), (TOKEN_SLOT, Piece::Token)]
            .into_iter()
            .filter_map(|(slot, piece)| html.find(slot).map(|at| (at, slot, piece)))
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, slot, piece)) => {
                pieces.push(Piece::Text(html[..at].to_owned()));
                pieces.push(piece);
                html = &html[at + slot.len()..];
            }
            None => {
                if !html.is_empty() {
                    pieces.push(Piece::Text(html.to_owned()));
                }
                return pieces;
            }
        }
    }
}

/// Escapes text for HTML exactly as the templates do.
fn escape_html(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html)
        .map(|escaped| escaped.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::*;
    use crate::accounts::Username;
    use crate::store::ClinicianId;

    fn clinician(name: &str, is_admin: bool, token: &str) -> SignedIn {
        SignedIn {
            id: ClinicianId(1),
            username: Username::parse(name).unwrap(),
            is_admin,
            csrf_token: token.to_owned(),
        }
    }

    /// The pre-rendered blank form is byte for byte the form rendered afresh, for each kind of
    /// account and each clinician and token.
    #[test]
    fn the_blank_form_is_the_form_rendered_afresh() {
        for (name, admin, token) in [
            ("alice", false, "tokenA1"),
            ("bob", false, "tokenB2"),
            ("carol.admin", true, "tokenC3"),
            ("dave", true, "tokenD4"),
        ] {
            let signed_in = clinician(name, admin, token);
            let fresh = FormPage::new(&signed_in, &Submitted::default(), None)
                .render()
                .unwrap();
            let blank = blank_form(&signed_in).unwrap().0;
            assert_eq!(blank, fresh, "{name}");
            assert!(blank.contains(token) && blank.contains(name));
            assert!(!blank.contains("@@"), "no slot left unfilled");
        }
    }
}
