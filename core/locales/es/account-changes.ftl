## Cambiar la dirección de correo o el nombre de usuario, y recuperar un nombre de usuario olvidado.

account-change-email = Cambiar la dirección de correo
account-change-username = Cambiar el nombre de usuario
login-forgot-username = ¿Ha olvidado su nombre de usuario?

change-email-title = Cambiar la dirección de correo
change-email-intro = Su dirección es { $email }. Enviaremos un enlace a la nueva dirección; el cambio se hace cuando lo abra. Su dirección actual recibe un aviso y puede deshacerlo.
change-email-new = Nueva dirección de correo
change-email-submit = Enviar el enlace de confirmación
change-email-sent-title = Revise la nueva dirección
change-email-sent = Si la dirección se puede usar, le llegará un enlace para confirmarla. Su dirección cambia cuando lo abra.
change-email-confirmed-title = Dirección de correo cambiada
change-email-confirmed = Su cuenta usa ahora esta dirección, y cuenta como confirmada.

restore-email-title = Deshacer el cambio de dirección
restore-email-intro = Su cuenta recupera su dirección anterior (o se cancela un cambio aún no confirmado), se cierran todas las sesiones y dispositivos, y se le pide que restablezca su contraseña.
restore-email-submit = Deshacer el cambio y cerrar todas las sesiones
restore-email-done-title = Cambio de dirección deshecho
restore-email-done = Su dirección anterior vuelve a estar en uso y se cerraron todas las sesiones. Restablezca su contraseña ahora.

change-username-title = Cambiar el nombre de usuario
change-username-intro = Su nombre de usuario sirve para iniciar sesión en lugar de su dirección de correo.
change-username-new = Nuevo nombre de usuario
change-username-hint = De 3 a 32 letras, cifras, «_», «.» o «-», empezando por una letra o una cifra.
change-username-submit = Cambiar el nombre de usuario
change-username-done-title = Nombre de usuario cambiado
change-username-done = A partir de ahora, inicie sesión con su nuevo nombre de usuario.

recover-username-title = ¿Ha olvidado su nombre de usuario?
recover-username-intro = Indique la dirección de correo de su cuenta y le enviaremos allí su nombre de usuario.
recover-username-email = Dirección de correo
recover-username-submit = Enviarme mi nombre de usuario
recover-username-sent-title = Revise su correo electrónico
recover-username-sent = Si alguna cuenta con nombre de usuario usa esta dirección, le llegará su nombre de usuario.

## Correos sobre estos cambios.

mail-change-email-confirm-subject = Confirme su nueva dirección de correo
mail-change-email-confirm-body =
    Alguien ha pedido pasar una cuenta de { $product } a esta dirección. Para confirmarlo, abra este enlace en { $hours ->
        [one] { $hours } hora
       *[other] { $hours } horas
    }:

    { $link }
mail-change-email-requested-subject = Su dirección de correo va a cambiar
mail-change-email-requested = Alguien con sesión en su cuenta de { $product } ha pedido cambiar su dirección de correo a { $new }.
mail-change-email-undo =
    Si fue usted, no tiene que hacer nada. Si no, abra este enlace en { $days ->
        [one] { $days } día
       *[other] { $days } días
    } para conservar o recuperar esta dirección y cerrar todas las sesiones, y después restablezca su contraseña:

    { $link }
mail-change-email-taken-subject = Alguien intentó pasar una cuenta a su dirección
mail-change-email-taken-body = Alguien ha pedido pasar otra cuenta de { $product } a esta dirección, que su cuenta ya usa. No se ha cambiado nada; puede iniciar sesión en { $login }.
mail-email-restored-subject = Se restableció su dirección de correo
mail-email-restored = Su cuenta de { $product } vuelve a usar esta dirección de correo, y se cerraron todas las sesiones. Restablezca su contraseña ahora en { $reset }.
mail-email-change-cancelled = Se canceló el cambio pedido de la dirección de correo de su cuenta de { $product }, y se cerraron todas las sesiones. Restablezca su contraseña ahora en { $reset }.
mail-notice-username-changed-subject = Se cambió su nombre de usuario
mail-notice-username-changed = Se cambió el nombre de usuario de su cuenta de { $product }.
mail-recover-username-subject = Su nombre de usuario
mail-recover-username-body = El nombre de usuario de su cuenta de { $product } es { $username }. Inicie sesión en { $login }.
