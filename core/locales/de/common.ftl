## Von allen Seiten geteilt: Layout, Navigation und allgemeine Meldungen.

layout-skip = Zum Inhalt springen
layout-support = Hilfe und Support
nav-account = Mein Konto
nav-sign-in = Anmelden
nav-start = Startseite
nav-sign-out = Abmelden
error-title = Fehler { $status }
