## Clés d’accès et clés de sécurité : se connecter avec, confirmer votre identité avec, et la
## liste pour en ajouter et en supprimer. Les messages `wan-` du script sont portés par la page.

wan-signin-title = Se connecter avec une clé d’accès
wan-signin-intro = Laissez le champ vide pour choisir l’une des clés d’accès de cet appareil.
wan-signin-identity = Adresse e-mail ou nom d’utilisateur (facultatif)
wan-signin-submit = Utiliser ma clé d’accès
wan-signin-password = Se connecter avec un mot de passe
wan-second-title = Confirmez avec votre clé d’accès
wan-second-intro = Votre mot de passe était correct. Utilisez maintenant votre clé d’accès ou votre clé de sécurité.

wan-verify-title = Confirmez votre identité
wan-verify-intro = Certaines modifications exigent une connexion récente. Utilisez l’une de vos clés d’accès ou clés de sécurité.
wan-verify-submit = Vérifier avec ma clé d’accès
wan-verify-list = Mes clés d’accès

wan-register-title = Mes clés d’accès
wan-register-caption = Mes clés d’accès et clés de sécurité
wan-register-none = Vous n’avez encore aucune clé d’accès ni clé de sécurité.
wan-column-name = Nom
wan-column-use = Usage
wan-column-algorithm = Algorithme
wan-column-added = Ajoutée le
wan-column-last-used = Dernière utilisation
wan-column-action = Action
wan-use-passkey = clé d’accès (premier facteur)
wan-use-passkey-synced = clé d’accès (premier facteur), synchronisée
wan-use-second-factor = second facteur
wan-use-second-factor-synced = second facteur, synchronisé
wan-never-used = jamais
wan-delete-button = Supprimer « { $name } »
wan-deleted = « { $name } » a été supprimée.
wan-needs-fresh = Pour ajouter ou supprimer une clé d’accès, une connexion récente est nécessaire.
wan-needs-fresh-link = Confirmez d’abord votre identité
wan-add-title = En ajouter une
wan-add-name = Nom (par exemple « mon ordinateur portable »)
wan-add-use = Utilisation
wan-add-first = pour me connecter sans mot de passe (clé d’accès)
wan-add-secondary = comme deuxième étape après mon mot de passe (clé de sécurité)
wan-add-submit = Ajouter la clé d’accès

wan-creating = Suivez les instructions de votre navigateur pour créer la clé d’accès…
wan-using = Suivez les instructions de votre navigateur pour utiliser votre clé d’accès…
wan-added = « { $name } » a été ajoutée.
wan-signed-in = Connexion réussie.
wan-verified = Vérification réussie.
wan-unsupported = Ce navigateur ne prend pas en charge les clés d’accès.
wan-cancelled = La demande de clé d’accès a été annulée ou a expiré.
wan-failed = Une erreur s’est produite. Veuillez réessayer.
