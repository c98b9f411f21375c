"""About 350 common French first names, across generations, compact on purpose: a column is
a name column when a large share of its values start with one (see ``identifying``)."""

import unicodedata

_LISTED = """
Adam Adrien Adèle Agathe Agnès Ahmed Alain Albert Alexandra Alexandre Alexia Alexis Ali
Alice Alicia Aline Amandine Amina Amélie Anaïs André Andrée Angélique Anne Annick Annie
Anthony Antoine Antonin Arnaud Arthur Audrey Augustin Aurélie Aurélien Axel Baptiste Bastien
Benjamin Benoît Bernadette Bernard Bertrand Brigitte Bruno Camille Capucine Carole Caroline
Catherine Chantal Charles Charlotte Chloé Christelle Christian Christiane Christine
Christophe Cindy Claire Clara Claude Claudine Clémence Clément Colette Coralie Corentin
Corinne Cyril Cyrille Cécile Céline Damien Daniel Danielle Danièle David Delphine Denis
Denise Didier Dominique Dylan Emma Emmanuel Emmanuelle Enzo Estelle Eugénie Fabien Fabienne
Fabrice Fanny Fatima Fernand Florence Florent Florian Francis Franck Frank François
Françoise Frédéric Frédérique Gabriel Gabrielle Gaël Gaëlle Gaëtan Geneviève Georges
Germaine Gilbert Gilberte Gilles Ginette Gisèle Grégory Guillaume Guy Gwendoline Gérald
Géraldine Gérard Henri Henriette Hervé Hugo Hugues Huguette Hélène Ibrahim Inès Irène
Isabelle Jacqueline Jacques Jade Janine Jean Jean-Claude Jean-François Jean-Luc Jean-Marc
Jean-Marie Jean-Paul Jean-Pierre Jeanne Jeannine Jessica Jocelyne Jonathan Jordan Joseph
Josette Josiane Joël Jules Julia Julie Julien Juliette Justine Jérémy Jérôme Karim Karine
Kevin Laetitia Laura Laure Laurence Laurent Leïla Liliane Lina Line Lionel Lola Lou Louane
Louis Louise Louna Loïc Luc Lucas Lucette Lucie Lucien Lucienne Ludovic Léa Léane Léna Léo
Léon Léonie Madeleine Malik Manon Marc Marcel Marcelle Margaux Marguerite Maria Marie Marina
Marine Marion Marius Marthe Martine Mathias Mathieu Mathilde Mathéo Matthieu Maurice Maxime
Maël Mehdi Michel Micheline Michèle Mickaël Mila Mohamed Monique Morgane Muriel Myriam
Mélanie Mélissa Nabil Nadia Nadine Nathalie Nathan Nicolas Nicole Nina Noah Nora Noé Noémie
Océane Odette Odile Olivier Ophélie Pascal Pascale Patrice Patricia Patrick Paul Paulette
Pauline Philippe Pierre Priscilla Quentin Rachid Raphaël Rayan Raymond Raymonde René Renée
Richard Robert Roger Roland Romain Rose Régine Régis Rémi Rémy Sabine Sabrina Sacha Samir
Samira Samuel Sandra Sandrine Sarah Serge Simon Simone Simonne Sofiane Solange Sonia Sophie
Stéphane Stéphanie Suzanne Sylvain Sylvie Séverine Tatiana Thierry Thomas Théa Théo Thérèse
Timothée Timéo Tom Valentin Valentine Valérie Vanessa Victoire Victor Vincent Virginie
Vivien Véronique Xavier Yacine Yann Yannick Yasmine Yolande Youssef Yves Yvette Yvonne Zoé
Édouard Éliane Élise Élodie Éloïse Éléonore Éric Éthan Étienne Éva Évelyne
"""


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _forms(name: str) -> tuple[str, ...]:
    """Lower case as written, without accents, and as an ASCII-only lowering of capitals
    leaves it (``HÉLÈNE`` gives ``hÉlÈne``): values are compared after an ASCII lowering."""
    ascii_lowered = "".join(c.lower() if c.isascii() else c for c in name.upper())
    return name.lower(), _plain(name).lower(), ascii_lowered


FIRST_NAMES = frozenset(form for name in _LISTED.split() for form in _forms(name))
