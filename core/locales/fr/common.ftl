## Partagé par toutes les pages : mise en page, navigation et messages généraux.

layout-skip = Aller au contenu
layout-support = Aide et assistance
nav-account = Mon compte
nav-sign-in = Se connecter
nav-start = Accueil
nav-sign-out = Se déconnecter
error-title = Erreur { $status }
