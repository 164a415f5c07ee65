## La page du compte (/account).

account-title = Mon compte
account-profile = Profil
account-email = E-mail
account-email-confirmed = confirmée
account-email-unconfirmed = pas encore confirmée
account-username = Nom d’utilisateur
account-change-password = Changer le mot de passe
account-security = Sécurité de la connexion
account-fresh-needed = Modifier les clés d’accès, la double authentification ou les codes de récupération exige une connexion récente.
account-verify = Confirmez votre identité
account-two-factor = Double authentification
account-two-factor-on = Activée (application d’authentification)
account-two-factor-off = Désactivée
account-two-factor-manage = Gérer la double authentification
account-two-factor-set-up = Configurer la double authentification
account-recovery-codes = Codes de récupération
account-recovery-codes-left = { $count ->
    [0] Plus aucun : créez-en de nouveaux maintenant
    [one] Il en reste un
   *[other] Il en reste { $count }
}
account-recovery-codes-manage = Nouveaux codes de récupération
account-passkeys = Clés d’accès et clés de sécurité
account-passkeys-caption = Mes clés d’accès et clés de sécurité
account-passkeys-none = Vous n’avez encore aucune clé d’accès ni clé de sécurité.
account-passkeys-manage = Ajouter ou supprimer des clés d’accès
account-passkey-name = Nom
account-passkey-use = Usage
account-passkey-added = Ajoutée
account-passkey-last-used = Dernière utilisation
account-passkey-first = connexion sans mot de passe
account-passkey-second = deuxième étape après le mot de passe
account-passkey-synced = synchronisée
account-never = jamais
account-sessions = Où vous êtes connecté
account-sessions-caption = { $count ->
    [one] Une session
   *[other] { $count } sessions
}
account-session-device = Appareil
account-session-address = Adresse
account-session-signed-in = Connexion
account-session-last-seen = Dernière activité
account-session-action = Action
account-session-this-one = cet appareil
account-session-unknown-device = Appareil inconnu
account-session-end = Y mettre fin
account-sessions-details = Détails de toutes les sessions
account-sign-out-everywhere = Se déconnecter partout
