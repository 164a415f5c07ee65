## Las páginas del proveedor OpenID: consentimiento, cerrar sesión para una aplicación y los
## rechazos que encuentra la solicitud de una aplicación.

oauth-consent-title = Permitir el acceso
oauth-consent-heading = { $client } quiere usar su cuenta de { $product }
oauth-consent-unverified = Esta aplicación se registró a sí misma; nadie ha comprobado su nombre. Permita el acceso solo si ha sido usted quien ha comenzado a iniciar sesión.
oauth-consent-asks = Solicita:
oauth-consent-return = Después se le enviará de vuelta a:
oauth-consent-allow = Permitir el acceso
oauth-consent-deny = Denegar
oauth-scope-openid = saber quién es usted (el identificador de su cuenta de { $product })
oauth-scope-profile = ver su nombre de usuario
oauth-scope-email = ver su dirección de correo electrónico y si está confirmada
oauth-scope-offline-access = mantener la sesión iniciada mientras usted no está (hasta que cierre la sesión de { $product })
oauth-scope-roles = ver sus roles
oauth-scope-unknown = un permiso desconocido

oauth-logout-title = Cerrar sesión
oauth-logout-heading = ¿Cerrar la sesión de { $product }?
oauth-logout-asked = Una aplicación ha pedido cerrar su sesión de { $product }.
oauth-logout-confirm = Cerrar sesión
oauth-logout-stay = Mantener la sesión
oauth-signed-out-title = Sesión cerrada
oauth-signed-out = Ha cerrado la sesión de { $product }.
oauth-logout-bad-hint = El id_token_hint no es un token de identidad emitido por { $product }.
oauth-logout-hint-mismatch = client_id e id_token_hint indican aplicaciones distintas.
oauth-logout-needs-hint = { $product } solo le envía de vuelta a la aplicación cuando esta indica su inicio de sesión (id_token_hint).

oauth-request-repeated = El parámetro { $name } se indicó más de una vez.
oauth-request-no-client = La solicitud no indica ninguna aplicación (client_id).
oauth-request-unknown-client = { $product } no conoce la aplicación que le ha enviado aquí.
oauth-request-no-redirect = La solicitud no tiene redirect_uri.
oauth-request-unregistered-redirect = La aplicación pidió enviarle a una dirección que no ha registrado.
oauth-request-invalid = La solicitud de la aplicación no es válida: { $reason }.
oauth-request-failed = La solicitud de la aplicación ha fallado: { $reason }.
