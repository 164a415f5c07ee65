## Las sesiones de la persona que ha iniciado sesión: dónde la tiene abierta, y cerrarlas.

sessions-title = Mis sesiones
sessions-intro = Estos son los navegadores y aplicaciones con sesión iniciada en su cuenta. Cierre cualquier sesión que no reconozca y después cambie su contraseña.
sessions-caption = { $count ->
    [one] Una sesión, horas en UTC
   *[other] { $count } sesiones, horas en UTC
}
sessions-device = Dispositivo
sessions-address = Dirección
sessions-signed-in = Inicio de sesión
sessions-last-seen = Última actividad
sessions-action = Acción
sessions-this-one = esta sesión
sessions-unknown-device = Dispositivo desconocido
sessions-unknown-address = Desconocida
sessions-end = Cerrar esta sesión
sessions-end-current = Cerrar sesión aquí
sessions-sign-out-everywhere = Cerrar sesión en todas partes
