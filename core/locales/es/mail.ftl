## Correos. Cada correo nombra el servicio con `$product`, el nombre del producto de la
## instalación; los números eligen su forma de plural con un selector.

# El asunto tal como se envía: el asunto propio del correo y el nombre del producto.
mail-subject = { $subject } - { $product }
# La línea final, cuando la instalación tiene una dirección de soporte.
mail-support = Ayuda y soporte: { $url }
# Cierra los correos sobre algo que alguien hizo con la dirección del destinatario.
mail-not-you = Si no fue usted, no tiene que hacer nada.

## Avisos de seguridad: qué ha cambiado y qué hacer.

mail-notice-password-changed-subject = Se ha cambiado su contraseña
mail-notice-password-changed = Se ha cambiado la contraseña de su cuenta de { $product }.
mail-notice-password-reset-subject = Se ha restablecido su contraseña
mail-notice-password-reset = La contraseña de su cuenta de { $product } se ha restablecido mediante un enlace enviado a esta dirección.
mail-notice-two-factor-on-subject = La autenticación en dos pasos está activada
mail-notice-two-factor-on = Se ha activado la autenticación en dos pasos en su cuenta de { $product }.
mail-notice-two-factor-off-subject = La autenticación en dos pasos está desactivada
mail-notice-two-factor-off = Se ha desactivado la autenticación en dos pasos en su cuenta de { $product } y se han eliminado los códigos de recuperación de la cuenta.
mail-notice-recovery-codes-subject = Nuevos códigos de recuperación
mail-notice-recovery-codes = Se ha generado un nuevo conjunto de códigos de recuperación para su cuenta de { $product }; los códigos anteriores ya no funcionan.
mail-notice-passkey-added-subject = Se ha añadido una llave de acceso o una llave de seguridad
mail-notice-passkey-added = Se ha añadido una llave de acceso o una llave de seguridad a su cuenta de { $product }.
mail-notice-passkey-removed-subject = Se ha quitado una llave de acceso o una llave de seguridad
mail-notice-passkey-removed = Se ha quitado una llave de acceso o una llave de seguridad de su cuenta de { $product }.
# Sigue a lo que ha cambiado, cuando se conoce la dirección del cliente.
mail-notice-origin = La solicitud procedía de la dirección { $address }.
mail-notice-advice =
    Si fue usted, no tiene que hacer nada.

    Si no fue usted, restablezca ahora mismo su contraseña en { $reset }; después inicie sesión en { $login } y cierre todas las demás sesiones.

## Enlaces y registro.

mail-confirm-subject = Confirme su dirección de correo electrónico
mail-confirm-body =
    Le damos la bienvenida a { $product }. Confirme su dirección de correo electrónico abriendo este enlace en un plazo de { $hours ->
        [one] { $hours } hora
       *[other] { $hours } horas
    }:

    { $link }

    Si no ha creado ninguna cuenta, ignore este mensaje.
mail-reset-subject = Restablezca su contraseña
mail-reset-body =
    Alguien ha pedido restablecer la contraseña de su cuenta de { $product }. Para elegir una nueva, abra este enlace en un plazo de { $minutes ->
        [one] { $minutes } minuto
       *[other] { $minutes } minutos
    }:

    { $link }

    El enlace solo funciona una vez. Si no lo ha pedido usted, ignore este mensaje; su contraseña no cambiará.
mail-already-registered-subject = Alguien ha intentado registrarse con su dirección de correo electrónico
mail-already-registered-body = Alguien ha intentado registrarse en { $product } con esta dirección, pero ya tiene una cuenta. Si fue usted, inicie sesión en { $login } o restablezca su contraseña en { $reset }.
mail-username-taken-subject = No se ha creado su cuenta
mail-username-taken-body = Alguien, probablemente usted, ha pedido a { $product } que cree una cuenta para esta dirección con un nombre de usuario que ya está en uso, por lo que no se ha creado ninguna cuenta. Vuelva a registrarse en { $register } con otro nombre de usuario o sin él.

## A code that finishes a sign-in whose second factor is email.

mail-tf-code-subject = Tu código de verificación
mail-tf-code-body = Tu código de verificación de { $product } es { $code }. Sirve durante { $minutes } minutos, una vez, para terminar el inicio de sesión que lo pidió. Si no estás iniciando sesión, alguien conoce tu contraseña: cámbiala.
mail-tf-enrol-body = Tu código para activar el correo como segundo factor de { $product } es { $code }. Sirve durante { $minutes } minutos, una vez. Si no lo pediste, alguien ha iniciado sesión en tu cuenta: cambia tu contraseña y cierra todas las sesiones.
