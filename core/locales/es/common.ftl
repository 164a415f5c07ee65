## Compartido por todas las páginas: diseño, navegación y mensajes generales.

layout-skip = Saltar al contenido
layout-support = Ayuda y soporte
nav-account = Mi cuenta
nav-sign-in = Iniciar sesión
nav-start = Inicio
nav-sign-out = Cerrar sesión
error-title = Error { $status }
