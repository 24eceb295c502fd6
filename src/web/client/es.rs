//! The client view in Spanish: this app's own translation of the article's questions, in
//! plain, respectful words that address the client as "usted".

use super::catalogue::Catalogue;
use crate::screening::CopingCode;

/// Español.
pub const ES: Catalogue = Catalogue {
    code: "es",
    own_name: "Español",
    english_name: "Spanish",
    is_translation: true,

    page_title: "Unas preguntas de su terapeuta",
    heading: "Unas preguntas de su terapeuta",
    intro: &[
        "Su terapeuta le pide que responda seis preguntas breves sobre su vida sexual o amorosa. No hay respuestas correctas ni incorrectas.",
        "No le pedimos su nombre ni lo guardamos. Solo su terapeuta verá sus respuestas y las comentará con usted.",
        "En cualquier pregunta puede elegir \u{ab}Prefiero no responder\u{bb}.",
    ],
    language_label: "Idioma",
    switch_dropped: "Al cambiar de idioma no se pudieron conservar algunas respuestas. Por favor, responda de nuevo: {questions}.",
    questions: [
        "¿Alguna vez alguien de su entorno le ha expresado preocupación por su actividad sexual o amorosa?",
        "¿Le preocupa algún aspecto de su vida sexual o amorosa?",
        "¿Qué hace usted para escapar por un rato de los sentimientos desagradables? Algunas personas comen, otras se masturban, otras hacen ejercicio. ¿Qué hace usted?",
        "¿Guarda usted secretos sobre su vida sexual o amorosa?",
        "¿Hay algo en su vida sexual o amorosa que a otras personas les parecería perturbador si lo supieran?",
        "¿Siente vergüenza o incomodidad por algún aspecto de su vida sexual o amorosa?",
    ],
    question_number: "Pregunta {n}",
    yes: "Sí",
    no: "No",
    prefer_not: "Prefiero no responder",
    escape_hint: "Marque todo lo que hace, o marque solo \u{ab}Prefiero no responder\u{bb}.",
    coping: [
        (CopingCode::Masturbation, "Masturbación"),
        (CopingCode::Pornography, "Pornografía"),
        (
            CopingCode::SexualChatOrWebcam,
            "Chat o videollamadas sexuales (webcam)",
        ),
        (
            CopingCode::DatingOrHookupApps,
            "Apps de citas o de encuentros casuales",
        ),
        (
            CopingCode::RomanticOrSexualFantasy,
            "Fantasías amorosas o sexuales",
        ),
        (CopingCode::Eating, "Comer"),
        (CopingCode::Exercise, "Hacer ejercicio"),
        (CopingCode::AlcoholOrDrugs, "Alcohol o drogas"),
        (
            CopingCode::GamingOrSocialMedia,
            "Videojuegos o redes sociales",
        ),
        (
            CopingCode::ShoppingOrGambling,
            "Compras, apuestas o juegos de azar",
        ),
        (CopingCode::Work, "Trabajar"),
        (CopingCode::Sleep, "Dormir"),
        (CopingCode::TalkingToSomeone, "Hablar con alguien"),
        (CopingCode::Other, "Otra cosa"),
    ],
    submit: "Enviar mis respuestas",

    errors_heading: "Por favor, revise estas preguntas",
    error_prefix: "Error:",
    error_choose_one: "Por favor, elija una respuesta o \u{ab}Prefiero no responder\u{bb}.",
    error_choose_ways: "Por favor, elija al menos una opción o \u{ab}Prefiero no responder\u{bb}.",
    error_prefer_not_alone: "\u{ab}Prefiero no responder\u{bb} no puede elegirse junto con otras respuestas.",
    error_not_understood: "No se entendió esta respuesta. Por favor, elija de nuevo.",
    form_expired: "Esta página estuvo abierta mucho tiempo, así que sus respuestas aún no se enviaron. Sus respuestas siguen abajo: por favor, toque o haga clic en \u{ab}Enviar mis respuestas\u{bb} otra vez.",

    thanks_title: "Gracias",
    thanks_text: "Sus respuestas se recibieron correctamente. Su terapeuta las comentará con usted.",
    match_words_intro: "Estas dos palabras permiten a su terapeuta saber que las respuestas son suyas:",
    hand_back: "Por favor, devuelva ahora el dispositivo a su terapeuta.",
    therapist_continue: "Para su terapeuta: continuar",
    close_page: "Ya puede cerrar esta página.",

    used_title: "Este enlace ya se usó",
    used_text: "Con este enlace ya se enviaron respuestas, y funciona una sola vez. Si todavía necesita responder, por favor pida a su terapeuta un enlace nuevo.",
    expired_title: "Este enlace venció",
    expired_text: "Este enlace estaba abierto por un tiempo limitado, y ese tiempo ya pasó. No se guardó nada. Por favor, pida a su terapeuta un enlace nuevo.",
    cancelled_title: "Este enlace ya no está disponible",
    cancelled_text: "Su terapeuta cerró este enlace o hizo uno nuevo. Si todavía necesita responder, por favor pida a su terapeuta el enlace nuevo.",
    unknown_title: "Este enlace no funciona",
    unknown_text: "Por favor, verifique que copió el enlace completo o pida a su terapeuta uno nuevo.",
    too_many_title: "Por favor, espere un momento",
    too_many_text: "Hubo demasiados intentos desde esta conexión. Por favor, espere unos minutos y vuelva a intentarlo.",
    other_invitation_title: "Esta página no se puede abrir aquí",
    other_invitation_text: "Este dispositivo se le entregó solo para unas preguntas, así que otros enlaces no se abren en él. No se envió nada. Por favor, devuelva el dispositivo a su terapeuta.",
    trouble_title: "Algo no funcionó",
    trouble_text: "Sus respuestas no se enviaron. Por favor, vuelva atrás, recargue la página e inténtelo de nuevo. Si sigue ocurriendo, por favor avise a su terapeuta.",

    source: "Traducción propia de esta aplicación; preguntas originales (en inglés) de:",
};

#[cfg(test)]
mod tests {
    use super::ES;

    /// Every row of PRODUCT §6.2 (reviewed for Mexico, Spain and Colombia).
    #[test]
    fn spanish_follows_the_reviewed_wording() {
        let all: Vec<&str> = ES
            .intro
            .iter()
            .copied()
            .chain(ES.questions)
            .chain(ES.coping.map(|(_, words)| words))
            .chain([
                ES.escape_hint,
                ES.form_expired,
                ES.thanks_text,
                ES.unknown_text,
                ES.source,
            ])
            .collect();
        for text in &all {
            for old in ["romántic", "pulse", "compruebe", "Recibimos", "Elija todo"] {
                assert!(!text.contains(old), "{text:?} still says {old:?}");
            }
        }
        assert!(ES.intro[0].contains("sexual o amorosa"));
        assert_eq!(
            ES.questions[0],
            "¿Alguna vez alguien de su entorno le ha expresado preocupación por su actividad sexual o amorosa?"
        );
        for question in [0, 1, 3, 4, 5] {
            assert!(
                ES.questions[question].contains("sexual o amorosa"),
                "{question}"
            );
        }
        for way in [
            "Chat o videollamadas sexuales (webcam)",
            "Apps de citas o de encuentros casuales",
            "Compras, apuestas o juegos de azar",
        ] {
            assert!(ES.coping.iter().any(|(_, words)| *words == way), "{way}");
        }
        assert!(
            ES.escape_hint
                .starts_with("Marque todo lo que hace, o marque solo")
        );
        assert_eq!(
            ES.intro[1],
            "No le pedimos su nombre ni lo guardamos. Solo su terapeuta verá sus respuestas y las comentará con usted."
        );
        assert!(ES.form_expired.contains("toque o haga clic en"));
        assert!(ES.form_expired.contains("Sus respuestas siguen abajo"));
        assert!(ES.unknown_text.contains("verifique"));
        assert_eq!(ES.used_title, "Este enlace ya se usó");
        assert_eq!(ES.expired_title, "Este enlace venció");
        assert_eq!(ES.cancelled_title, "Este enlace ya no está disponible");
        assert!(
            ES.thanks_text
                .starts_with("Sus respuestas se recibieron correctamente.")
        );
        assert_eq!(
            ES.source,
            "Traducción propia de esta aplicación; preguntas originales (en inglés) de:"
        );
        assert_eq!(ES.heading, "Unas preguntas de su terapeuta");
    }

    #[test]
    fn spanish_keeps_the_rules_and_says_usted() {
        super::super::catalogue::tests::check(&ES);
        let translated = ES.is_translation;
        assert!(
            translated,
            "the result page says it is this app's translation"
        );
        let all: Vec<&str> = ES
            .intro
            .iter()
            .copied()
            .chain(ES.questions)
            .chain([
                ES.thanks_text,
                ES.hand_back,
                ES.used_text,
                ES.expired_text,
                ES.cancelled_text,
                ES.unknown_text,
                ES.other_invitation_text,
            ])
            .collect();
        for text in all {
            let lower = format!(" {} ", text.to_lowercase());
            for informal in [" tú ", " tu ", " tienes ", " puedes ", " haces ", " te "] {
                assert!(!lower.contains(informal), "{text:?}: \"usted\", not \"tú\"");
            }
        }
    }
}
