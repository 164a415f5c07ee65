## Les sessions de la personne connectée : où elle est connectée, et la fin de ces sessions.

sessions-title = Mes sessions
sessions-intro = Voici les navigateurs et applications connectés à votre compte. Mettez fin à toute session que vous ne reconnaissez pas, puis changez votre mot de passe.
sessions-caption = { $count ->
    [one] Une session, heures en UTC
   *[other] { $count } sessions, heures en UTC
}
sessions-device = Appareil
sessions-address = Adresse
sessions-signed-in = Connexion
sessions-last-seen = Dernière activité
sessions-action = Action
sessions-this-one = cette session
sessions-unknown-device = Appareil inconnu
sessions-unknown-address = Inconnue
sessions-end = Mettre fin à la session
sessions-end-current = Se déconnecter ici
sessions-sign-out-everywhere = Se déconnecter partout
