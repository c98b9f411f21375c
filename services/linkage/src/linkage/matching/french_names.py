"""Modest lists of French first names and surnames, most frequent first (the generator draws
them with Zipf weights; rarer surnames are composed from the syllables below)."""

MALE = (
    "Jean Pierre Michel André Philippe Alain Bernard Jacques Daniel Christian Patrick "
    "Nicolas Christophe Thomas Julien Stéphane Laurent Frédéric Éric David Sébastien "
    "Pascal François Olivier Thierry Gérard Dominique Louis Claude Marcel Henri Roger "
    "René Paul Maxime Alexandre Antoine Lucas Hugo Théo Léo Nathan Gabriel Raphaël Arthur "
    "Jules Louis Mathis Enzo Clément Romain Guillaume Vincent Benoît Jérôme Cédric Fabrice "
    "Didier Bruno Serge Yves Joël Gilles Hervé Denis Lucien Robert Raymond Georges Maurice "
    "Émile Adrien Quentin Florian Anthony Kévin Jérémy Mickaël Ludovic Grégory Loïc Yann "
    "Gaël Noël Joseph Marc Xavier Arnaud Damien Aurélien Baptiste Valentin Corentin Bastien "
    "Tristan Mathéo Noé Timéo Ethan Axel Ibrahim Mohamed Karim Mehdi Youssef Rayan"
).split()
FEMALE = (
    "Marie Nathalie Isabelle Sylvie Catherine Françoise Martine Christine Monique Nicole "
    "Valérie Sandrine Stéphanie Véronique Sophie Céline Chantal Jacqueline Anne Patricia "
    "Brigitte Julie Aurélie Caroline Émilie Élodie Laetitia Camille Léa Manon Chloé Emma "
    "Inès Jade Louise Alice Lina Zoé Lola Clara Sarah Juliette Pauline Mathilde Marion "
    "Hélène Claire Agnès Danielle Denise Jeanne Madeleine Suzanne Simone Yvette Odette "
    "Josiane Colette Ginette Paulette Huguette Éliane Annie Evelyne Corinne Florence "
    "Karine Virginie Delphine Audrey Mélanie Jessica Laura Marine Océane Anaïs Margaux "
    "Charlotte Lucie Justine Élise Gaëlle Solène Maëlle Noémie Agathe Romane Ambre Léna "
    "Rose Anna Mila Fatima Aïcha Yasmine Amina Myriam Béatrice Geneviève Thérèse Josette"
).split()
COMPOUND_MALE = (
    "Jean-Pierre Jean-Claude Jean-Luc Jean-Marc Jean-François Jean-Michel Jean-Paul "
    "Jean-Louis Jean-Jacques Jean-Baptiste Pierre-Yves Marc-Antoine Louis-Marie"
).split()
COMPOUND_FEMALE = (
    "Marie-Christine Marie-Claire Marie-Thérèse Marie-Laure Marie-Pierre Marie-France "
    "Anne-Marie Anne-Sophie Marie-Hélène Marie-Noëlle Marie-Claude Marie-José"
).split()
SURNAMES = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Müller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier "
    "Chevalier François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry "
    "Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer "
    "Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud "
    "Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre "
    "Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey "
    "Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger "
    "Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury "
    "Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier "
    "Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le_Gall Collet Léger "
    "Bouvier Julien Prévost Millet Perrot Daniel Le_Roux Cousin Germain Breton Besson "
    "Langlois Rémy Le_Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal Weber "
    "Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin "
    "Poulain Tessier Chevallier Collin Chauvin Da_Silva Bouchet Gay Lemaître Bénard Maréchal "
    "Humbert Reynaud Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy "
    "Delaunay Pasquier Carlier Laporte De_La_Fontaine Du_Pont D'Almeida De_Oliveira "
    "Le_Bihan Saint-Martin Van_Der_Berg De_Sousa Dos_Santos Ben_Ali N'Diaye Kaci Haddad "
    "Nguyen Tran Diallo Traoré Mendy Benhamou Cohen Lévy Bensaïd Belkacem Ferreira Pereira"
).replace("_", " ").split()
SURNAME_ONSETS = (
    "Ber Bou Bla Bri Cha Che Cla Cou Dé De Du Fa Fou Gau Gi Gra Gue Ja Lam La Le Lou Ma "
    "Mé Mo Pa Pé Pi Po Ra Re Ro Sa Se Ta Te Tou Va Vi"
).split()
SURNAME_MIDDLES = (
    "ber bel car chan dou fon gar gnon lan lar lau let lin mar mon nier ran rat rou "
    "san sel tel ti ton vel vil zan"
).split()
SURNAME_ENDINGS = (
    "ard aud eau el et ier in ot oux ais and ois ey y as é ault ez ac at ière"
).split()
# Leading particles a normalised name loses (LE and LA stay: Le Gall is written Legall too).
PARTICLES = ("DE", "DU", "DES", "D", "DEL", "DA", "DOS", "VAN", "DER")
