## Die Sitzungen der angemeldeten Person: wo sie angemeldet ist, und diese Sitzungen beenden.

sessions-title = Meine Sitzungen
sessions-intro = Mit diesen Browsern und Apps sind Sie in Ihrem Konto angemeldet. Beenden Sie jede Sitzung, die Sie nicht kennen, und ändern Sie dann Ihr Passwort.
sessions-caption = { $count ->
    [one] Eine Sitzung, Zeiten in UTC
   *[other] { $count } Sitzungen, Zeiten in UTC
}
sessions-device = Gerät
sessions-address = Adresse
sessions-signed-in = Angemeldet
sessions-last-seen = Zuletzt aktiv
sessions-action = Aktion
sessions-this-one = diese Sitzung
sessions-unknown-device = Unbekanntes Gerät
sessions-unknown-address = Unbekannt
sessions-end = Sitzung beenden
sessions-end-current = Hier abmelden
sessions-sign-out-everywhere = Überall abmelden
