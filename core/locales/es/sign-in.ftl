## Registrarse e iniciar sesión: la página de inicio, los formularios de inicio de sesión y de
## registro, el restablecimiento de la contraseña, la confirmación del correo electrónico, el
## cambio de contraseña y la confirmación de que es usted.

index-intro = Inicie sesión en su cuenta o cree una.
index-sign-in = Iniciar sesión
index-passkey = Iniciar sesión con una llave de acceso
index-register = Crear una cuenta

login-title = Iniciar sesión
login-identity = Correo electrónico o nombre de usuario
login-password = Contraseña
login-submit = Iniciar sesión
login-or = o
login-passkey = Iniciar sesión con una llave de acceso
login-passkey-page = Más formas de usar una llave de acceso
login-register = Crear una cuenta
login-forgot = ¿Ha olvidado su contraseña?

register-title = Crear una cuenta
register-email = Correo electrónico
register-username = Nombre de usuario (opcional)
register-username-hint = De 3 a 32 letras, dígitos, «_», «.» o «-», empezando por una letra o un dígito.
register-password = Contraseña
register-password-hint = De { $min } a { $max } caracteres.
register-submit = Crear cuenta
register-sign-in = Prefiero iniciar sesión
register-done-title = Registro recibido
register-done = Registro recibido. Si la dirección era nueva, la cuenta ya existe y puede iniciar sesión.

reset-title = Restablecer la contraseña
reset-intro = Introduzca la dirección de correo electrónico de su cuenta y le enviaremos un enlace para elegir una contraseña nueva.
reset-email = Correo electrónico
reset-send = Enviarme un enlace
reset-new-intro = Elija una contraseña nueva.
reset-password = Contraseña nueva
reset-password-hint = De { $min } a { $max } caracteres.
reset-password-confirm = Repita la contraseña nueva
reset-submit = Establecer la contraseña
reset-sign-in = Iniciar sesión
reset-sent-title = Revise su correo electrónico
reset-sent = Si alguna cuenta usa esta dirección, le llegará un enlace para restablecer su contraseña.
reset-done-title = Contraseña cambiada
reset-done = Su contraseña se ha cambiado y se han cerrado todas las sesiones. Inicie sesión con la contraseña nueva.

confirm-done-title = Correo electrónico confirmado
confirm-done = Su dirección de correo electrónico está confirmada.

change-title = Cambiar la contraseña
change-current = Contraseña actual
change-new = Contraseña nueva
change-new-hint = De { $min } a { $max } caracteres.
change-confirm = Repita la contraseña nueva
change-submit = Cambiar la contraseña
change-done-title = Contraseña cambiada
change-done = Su contraseña se ha cambiado y se han cerrado todas las demás sesiones.

verify-title = Confirme que es usted
verify-intro = Algunos cambios (llaves de acceso, verificación en dos pasos, códigos de recuperación) requieren un inicio de sesión reciente. Introduzca de nuevo su contraseña.
verify-password = Contraseña
verify-submit = Confirmar
verify-passkey = Confirmar con una llave de acceso
verify-done-title = Confirmado
verify-done = Gracias. Durante los próximos minutos puede cambiar las llaves de acceso, la verificación en dos pasos y los códigos de recuperación.
verify-continue-title = Sesión iniciada
verify-continue = Continuar a la aplicación
