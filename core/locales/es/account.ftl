## La página de la cuenta (/account).

account-title = Mi cuenta
account-profile = Perfil
account-email = Correo electrónico
account-email-confirmed = confirmado
account-email-unconfirmed = aún sin confirmar
account-username = Nombre de usuario
account-change-password = Cambiar la contraseña
account-security = Seguridad del inicio de sesión
account-fresh-needed = Para cambiar llaves de acceso, la verificación en dos pasos o los códigos de recuperación necesita haber iniciado sesión hace poco.
account-verify = Confirme que es usted
account-two-factor = Verificación en dos pasos
account-two-factor-on = Activada (aplicación de autenticación)
account-two-factor-off = Desactivada
account-two-factor-manage = Administrar la verificación en dos pasos
account-two-factor-set-up = Configurar la verificación en dos pasos
account-recovery-codes = Códigos de recuperación
account-recovery-codes-left = { $count ->
    [0] No le queda ninguno: cree otros ahora
    [one] Le queda uno
   *[other] Le quedan { $count }
}
account-recovery-codes-manage = Nuevos códigos de recuperación
account-passkeys = Llaves de acceso y llaves de seguridad
account-passkeys-caption = Mis llaves de acceso y llaves de seguridad
account-passkeys-none = Todavía no tiene llaves de acceso ni llaves de seguridad.
account-passkeys-manage = Añadir o quitar llaves de acceso
account-passkey-name = Nombre
account-passkey-use = Uso
account-passkey-added = Añadida
account-passkey-last-used = Último uso
account-passkey-first = inicia sesión sin contraseña
account-passkey-second = segundo paso tras la contraseña
account-passkey-synced = sincronizada
account-never = nunca
account-sessions = Dónde ha iniciado sesión
account-sessions-caption = { $count ->
    [one] Una sesión
   *[other] { $count } sesiones
}
account-session-device = Dispositivo
account-session-address = Dirección
account-session-signed-in = Inicio de sesión
account-session-last-seen = Última actividad
account-session-action = Acción
account-session-this-one = este dispositivo
account-session-unknown-device = Dispositivo desconocido
account-session-end = Cerrar esa sesión
account-sessions-details = Detalles de todas las sesiones
account-sign-out-everywhere = Cerrar sesión en todas partes
