//! The client view in Spanish: this app's own translation of the article's questions, in
//! plain, respectful words that address the client as "usted".

use super::catalogue::Catalogue;

/// Español.
pub const ES: Catalogue = Catalogue {
    code: "es",
    own_name: "Español",
    english_name: "Spanish",
    is_translation: true,

    page_title: "Seis preguntas",
    heading: "Seis preguntas breves",
    intro: &[
        "Su terapeuta le pide que responda seis preguntas breves sobre su vida sexual y romántica. No hay respuestas correctas ni incorrectas.",
        "No se le pide su nombre y no se guarda. Solo su terapeuta ve sus respuestas, y las comentará con usted.",
        "En cualquier pregunta puede elegir \u{ab}Prefiero no responder\u{bb}.",
    ],
    language_label: "Idioma",
    questions: [
        "¿Alguna persona de su vida le ha expresado alguna vez preocupación por su actividad sexual o romántica?",
        "¿Le preocupa algún aspecto de su vida sexual o romántica?",
        "¿Qué hace usted para escapar por un rato de los sentimientos desagradables? Algunas personas comen, otras se masturban, otras hacen ejercicio. ¿Qué hace usted?",
        "¿Guarda usted secretos sobre su vida sexual o romántica?",
        "¿Hay algo en su vida sexual o romántica que a otras personas les parecería perturbador si lo supieran?",
        "¿Siente vergüenza o incomodidad por algún aspecto de su vida sexual o romántica?",
    ],
    question_number: "Pregunta {n}",
    yes: "Sí",
    no: "No",
    prefer_not: "Prefiero no responder",
    escape_hint: "Elija todo lo que usted hace, o solo \u{ab}Prefiero no responder\u{bb}.",
    coping: [
        "Masturbación",
        "Pornografía",
        "Chat sexual o cámara web",
        "Aplicaciones de citas o de encuentros",
        "Fantasías románticas o sexuales",
        "Comer",
        "Hacer ejercicio",
        "Alcohol o drogas",
        "Videojuegos o redes sociales",
        "Compras o apuestas",
        "Trabajar",
        "Dormir",
        "Hablar con alguien",
        "Otra cosa",
    ],
    submit: "Enviar mis respuestas",

    errors_heading: "Por favor, revise estas preguntas",
    error_prefix: "Error:",
    error_choose_one: "Por favor, elija una respuesta o \u{ab}Prefiero no responder\u{bb}.",
    error_choose_ways: "Por favor, elija al menos una opción o \u{ab}Prefiero no responder\u{bb}.",
    error_prefer_not_alone: "\u{ab}Prefiero no responder\u{bb} no puede elegirse junto con otras respuestas.",
    error_not_understood: "No se entendió esta respuesta. Por favor, elija de nuevo.",
    form_expired: "Esta página estuvo abierta mucho tiempo, así que sus respuestas aún no se enviaron. Se conservan abajo: por favor, pulse \u{ab}Enviar mis respuestas\u{bb} otra vez.",

    thanks_title: "Gracias",
    thanks_text: "Recibimos sus respuestas. Su terapeuta las comentará con usted.",
    match_words_intro: "Estas dos palabras permiten a su terapeuta saber que las respuestas son suyas:",
    hand_back: "Por favor, devuelva ahora el dispositivo a su terapeuta.",
    therapist_continue: "Para su terapeuta: continuar",
    close_page: "Ya puede cerrar esta página.",

    gone_title: "Este enlace ya se usó",
    gone_text: "Este enlace funciona una sola vez y por un tiempo limitado, y ya no se puede usar. Si todavía necesita responder, por favor pida a su terapeuta un enlace nuevo.",
    unknown_title: "Este enlace no funciona",
    unknown_text: "Por favor, compruebe que copió el enlace completo, o pida a su terapeuta uno nuevo.",
    too_many_title: "Por favor, espere un momento",
    too_many_text: "Hubo demasiados intentos desde esta conexión. Por favor, espere unos minutos y vuelva a intentarlo.",
    trouble_title: "Algo no funcionó",
    trouble_text: "Sus respuestas no se enviaron. Por favor, vuelva atrás, recargue la página e inténtelo de nuevo. Si sigue ocurriendo, por favor avise a su terapeuta.",

    source: "Preguntas (traducción propia de esta aplicación) de:",
};

#[cfg(test)]
mod tests {
    use super::ES;

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
            .chain([ES.thanks_text, ES.hand_back, ES.gone_text, ES.unknown_text])
            .collect();
        for text in all {
            let lower = format!(" {} ", text.to_lowercase());
            for informal in [" tú ", " tu ", " tienes ", " puedes ", " haces ", " te "] {
                assert!(!lower.contains(informal), "{text:?}: \"usted\", not \"tú\"");
            }
        }
    }
}
