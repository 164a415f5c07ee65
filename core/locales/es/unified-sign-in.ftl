## Inicio de sesión con código: un código enviado a la dirección de la cuenta, el enlace enviado
## con él y el código de dispositivo que pide ese enlace cuando se abre en otro navegador.

login-mail-code = Enviarme un código de inicio de sesión
us-send-code = Enviarme un código
us-title = Iniciar sesión con un código
us-intro = Introduce tu correo o nombre de usuario. Enviaremos un código de inicio de sesión y un enlace a la dirección de la cuenta.
us-with-password = Iniciar sesión con contraseña
us-code-title = Revisa tu correo
us-code-sent = Si una cuenta usa este correo o nombre de usuario, un código de inicio de sesión va de camino a su dirección. Sirve durante { $minutes } minutos, en este navegador.
us-code-label = Código de inicio de sesión
us-code-submit = Iniciar sesión
us-device-title = ¿Vas a abrir el enlace en otro dispositivo?
us-device-intro = El enlace del correo inicia sesión en este navegador. Abierto en otro lugar, pide este código de dispositivo:
us-code-again = Enviar un código nuevo
us-link-title = ¿Iniciar sesión en este dispositivo?
us-link-intro = Este enlace se abrió en un navegador distinto del que lo pidió, así que no se inició ninguna sesión. Para iniciarla aquí, escribe el código de dispositivo que muestra el navegador que lo pidió.
us-link-code-label = Código de dispositivo
us-link-submit = Iniciar sesión aquí
us-link-start-here = Pedir un código en este navegador
us-setup-title = Formas de iniciar sesión
us-setup-active = Puedes iniciar sesión con: { $methods }.
us-method-password = tu contraseña
us-method-email = un código enviado por correo
us-method-authenticator = tu aplicación de autenticación
us-method-passkey = una llave de acceso
register-password-optional = Deja la contraseña vacía para iniciar sesión con códigos enviados por correo.

mail-us-code-subject = Tu código de inicio de sesión
mail-us-code-body =
    Tu código de inicio de sesión de { $product } es { $code }. Sirve durante { $minutes } minutos, una vez, en el navegador donde lo pediste.

    O abre este enlace en ese navegador (sirve durante { $link_minutes } minutos):
    { $link }

    Si no pediste iniciar sesión, ignora este correo: nadie puede usar el código sin el navegador que lo pidió.
