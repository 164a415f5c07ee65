## Verificación en dos pasos: configurar una aplicación de autenticación, el segundo paso del
## inicio de sesión y los códigos de recuperación.

tf-title = Verificación en dos pasos
tf-status-on = La verificación en dos pasos está activada: para iniciar sesión necesita un código de su aplicación de autenticación además de su contraseña.
tf-status-off = La verificación en dos pasos está desactivada. Si la activa, para iniciar sesión necesitará un código de una aplicación de autenticación además de su contraseña.
tf-recovery-left = Códigos de recuperación restantes: { $count }.
tf-recovery-manage = Gestionar los códigos de recuperación
tf-reauth-link = Confirme que es usted
tf-off-heading = Desactivarla
tf-off-password = Contraseña
tf-off-button = Desactivar la verificación en dos pasos
tf-set-up-button = Configurar una aplicación de autenticación
tf-enrol-add = Añada la clave a su aplicación
tf-enrol-scan = Escanee este código con su aplicación de autenticación y luego escriba el código de { $digits } dígitos que muestre.
tf-enrol-qr = Código QR de la clave que aparece abajo como texto
tf-enrol-key = O escriba esta clave
tf-enrol-settings = Ajustes
tf-enrol-settings-value = { $algorithm }, { $digits } dígitos, { $period } segundos
tf-enrol-confirm-heading = Confirme con un código
tf-enrol-code = Código de la aplicación
tf-enrol-confirm = Activar la verificación en dos pasos
tf-enrol-restart = Empezar de nuevo con otra clave
tf-on-title = Verificación en dos pasos activada
tf-on = La verificación en dos pasos está activada. Genere ahora códigos de recuperación, por si pierde su teléfono.
tf-generate-codes = Generar códigos de recuperación
tf-off-title = Verificación en dos pasos desactivada
tf-off = La verificación en dos pasos está desactivada y sus códigos de recuperación se han eliminado.
tf-select-title = Segundo paso
tf-select-legend = ¿Cómo quiere confirmar que es usted?
tf-select-choose = Elija una de las opciones siguientes.
tf-method-totp = Un código de mi aplicación de autenticación
tf-method-recovery-code = Uno de mis códigos de recuperación
tf-method-webauthn = Mi llave de acceso o llave de seguridad
tf-select-continue = Continuar
tf-code-title = Introduzca su código
tf-code-label = Código de { $digits } dígitos de su aplicación de autenticación
tf-code-submit = Iniciar sesión
tf-other-method = Usar otra opción
tf-start-over = Empezar de nuevo

recovery-title = Códigos de recuperación
recovery-sign-in-title = Usar un código de recuperación
recovery-code-label = Código de recuperación
recovery-code-hint = Tiene este aspecto: abcd-efgh-ijkl-mnop.
recovery-fresh-warning = Anote estos códigos o imprímalos ahora: solo se muestran esta vez.
recovery-fresh-once = Cada código sirve una sola vez; sus códigos anteriores ya no sirven.
recovery-fresh-heading = Sus nuevos códigos de recuperación
recovery-left = Códigos de recuperación sin usar: { $count }.
recovery-generate = Generar una nueva serie (la anterior deja de servir)
recovery-need-two-factor = Configure primero la verificación en dos pasos; los códigos de recuperación la respaldan.
recovery-set-up = Configurar la verificación en dos pasos

## Email as a second factor.

tf-method-email = Un código enviado a mi correo
tf-email-title = Escribe el código del correo
tf-email-sent = Hemos enviado un código a la dirección de tu cuenta. Sirve durante 10 minutos, solo para este inicio de sesión.
tf-email-code-label = Código de 8 dígitos del correo
tf-set-up-email-button = Usar códigos enviados por correo
tf-email-enrol-heading = Revisa tu correo
tf-email-enrol-intro = Hemos enviado un código a la dirección de tu cuenta. Escríbelo aquí para activar el correo como segundo factor.
tf-email-enrol-confirm = Activar los códigos por correo
tf-status-on-email = Iniciar sesión requiere un código enviado a tu dirección además de tu contraseña.
