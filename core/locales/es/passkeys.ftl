## Llaves de acceso y llaves de seguridad: iniciar sesión con ellas, confirmar con ellas que es
## usted, y la lista para añadirlas y eliminarlas. Los mensajes `wan-` del script van en la página.

wan-signin-title = Iniciar sesión con una llave de acceso
wan-signin-intro = Deje el campo vacío para elegir una de las llaves de acceso de este dispositivo.
wan-signin-identity = Correo electrónico o nombre de usuario (opcional)
wan-signin-submit = Usar mi llave de acceso
wan-signin-password = Iniciar sesión con una contraseña
wan-second-title = Confirme con su llave de acceso
wan-second-intro = Su contraseña era correcta. Ahora use su llave de acceso o su llave de seguridad.

wan-verify-title = Confirme que es usted
wan-verify-intro = Algunos cambios requieren un inicio de sesión reciente. Use una de sus llaves de acceso o llaves de seguridad.
wan-verify-submit = Verificar con mi llave de acceso
wan-verify-list = Mis llaves de acceso

wan-register-title = Mis llaves de acceso
wan-register-caption = Mis llaves de acceso y llaves de seguridad
wan-register-none = Todavía no tiene llaves de acceso ni llaves de seguridad.
wan-column-name = Nombre
wan-column-use = Uso
wan-column-algorithm = Algoritmo
wan-column-added = Añadida
wan-column-last-used = Último uso
wan-column-action = Acción
wan-use-passkey = llave de acceso (primer factor)
wan-use-passkey-synced = llave de acceso (primer factor), sincronizada
wan-use-second-factor = segundo factor
wan-use-second-factor-synced = segundo factor, sincronizado
wan-never-used = nunca
wan-delete-button = Eliminar «{ $name }»
wan-deleted = Se ha eliminado «{ $name }».
wan-needs-fresh = Para añadir o eliminar una llave de acceso hace falta un inicio de sesión reciente.
wan-needs-fresh-link = Confirme primero que es usted
wan-add-title = Añadir una
wan-add-name = Nombre (por ejemplo, «mi portátil»)
wan-add-use = Uso
wan-add-first = para iniciar sesión sin contraseña (llave de acceso)
wan-add-secondary = como segundo paso después de mi contraseña (llave de seguridad)
wan-add-submit = Añadir llave de acceso

wan-creating = Siga las indicaciones de su navegador para crear la llave de acceso…
wan-using = Siga las indicaciones de su navegador para usar su llave de acceso…
wan-added = Se ha añadido «{ $name }».
wan-signed-in = Sesión iniciada.
wan-verified = Verificación completada.
wan-unsupported = Este navegador no es compatible con las llaves de acceso.
wan-cancelled = La solicitud de la llave de acceso se canceló o caducó.
wan-failed = Algo ha salido mal. Inténtelo de nuevo.
