//! The languages of the client view (PRODUCT §6, §6.2): the list of catalogues, and choosing one
//! for a request. A new language is a file of its own (a [`Catalogue`]) listed here.

use super::catalogue::Catalogue;

/// Every language of the client view; the first is the default.
pub const ALL: &[&Catalogue] = &[&super::en::EN, &super::es::ES];

/// The catalogue with this code.
pub fn find(code: &str) -> Option<&'static Catalogue> {
    ALL.iter().copied().find(|catalogue| catalogue.code == code)
}

/// The default language.
pub fn default() -> &'static Catalogue {
    ALL[0]
}

/// The best language for an `Accept-Language` header: the highest-weighted range we have
/// (`es-MX` matches `es`), else the default.
pub fn negotiate(accept_language: Option<&str>) -> &'static Catalogue {
    let Some(header) = accept_language else {
        return default();
    };
    let mut best: Option<(f32, usize, &'static Catalogue)> = None;
    for (position, range) in header.split(',').enumerate() {
        let mut parts = range.trim().split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let weight = parts
            .find_map(|param| param.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        let Some(catalogue) = find(primary) else {
            continue;
        };
        if weight <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((best_weight, _, _)) => weight > best_weight,
        };
        if better {
            best = Some((weight, position, catalogue));
        }
    }
    best.map_or_else(default, |(_, _, catalogue)| catalogue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_keeps_the_rules() {
        for catalogue in ALL {
            super::super::catalogue::tests::check(catalogue);
        }
        let mut codes: Vec<&str> = ALL.iter().map(|catalogue| catalogue.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
    }

    #[test]
    fn accept_language_picks_the_best_language_we_have() {
        assert_eq!(negotiate(None).code, "en");
        assert_eq!(negotiate(Some("es-MX,es;q=0.9,en;q=0.8")).code, "es");
        assert_eq!(negotiate(Some("fr-FR, es;q=0.5, en;q=0.7")).code, "en");
        assert_eq!(negotiate(Some("fr, de")).code, "en");
        assert_eq!(negotiate(Some("es;q=0, en")).code, "en");
        assert_eq!(negotiate(Some("ES")).code, "es");
        assert_eq!(negotiate(Some(";;;,q=,")).code, "en");
    }
}
