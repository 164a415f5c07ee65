## Les pages du fournisseur OpenID : consentement, déconnexion pour une application et refus
## que rencontre la demande d’une application.

oauth-consent-title = Autoriser l’accès
oauth-consent-heading = { $client } souhaite utiliser votre compte { $product }
oauth-consent-unverified = Cette application s’est inscrite elle-même ; personne n’a vérifié son nom. Ne l’autorisez que si c’est vous qui avez lancé cette connexion.
oauth-consent-asks = Elle demande à :
oauth-consent-return = Vous serez ensuite renvoyé vers :
oauth-consent-allow = Autoriser l’accès
oauth-consent-deny = Refuser
oauth-scope-openid = savoir qui vous êtes (l’identifiant de votre compte { $product })
oauth-scope-profile = voir votre nom d’utilisateur
oauth-scope-email = voir votre adresse e-mail et si elle est confirmée
oauth-scope-offline-access = vous garder connecté pendant votre absence (jusqu’à ce que vous vous déconnectiez de { $product })
oauth-scope-roles = voir vos rôles
oauth-scope-unknown = une autorisation inconnue

oauth-logout-title = Se déconnecter
oauth-logout-heading = Se déconnecter de { $product } ?
oauth-logout-asked = Une application a demandé à vous déconnecter de { $product }.
oauth-logout-confirm = Se déconnecter
oauth-logout-stay = Rester connecté
oauth-signed-out-title = Déconnecté
oauth-signed-out = Vous êtes déconnecté de { $product }.
oauth-logout-bad-hint = Le id_token_hint n’est pas un jeton d’identité émis par { $product }.
oauth-logout-hint-mismatch = client_id et id_token_hint désignent des applications différentes.
oauth-logout-needs-hint = { $product } ne vous renvoie vers l’application que si elle désigne votre connexion (id_token_hint).

oauth-request-repeated = Le paramètre { $name } a été donné plus d’une fois.
oauth-request-no-client = La demande ne désigne aucune application (client_id).
oauth-request-unknown-client = L’application qui vous a envoyé ici n’est pas connue de { $product }.
oauth-request-no-redirect = La demande n’a pas de redirect_uri.
oauth-request-unregistered-redirect = L’application a demandé à vous envoyer vers une adresse qu’elle n’a pas enregistrée.
oauth-request-invalid = La demande de l’application n’est pas valide : { $reason }.
oauth-request-failed = La demande de l’application a échoué : { $reason }.
